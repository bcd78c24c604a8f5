# Sourced by the test scripts (POSIX sh). CMake build folders live in the repository
# (build/cmake/<name>, git-ignored), never in the shared cache: a CMake build folder is tied to
# one source path, and one cache may serve several checkouts (a CI clone beside a working tree).
#   cmake_dir ROOT NAME   prints ROOT/build/cmake/NAME, removing it first if it was configured
#                         for another source folder (a copied or moved tree) or by another CMake
#                         version (another cmake first on PATH) than the one on PATH now.
cmake_dir() {
  _dir=$1/build/cmake/$2
  if [ -f "$_dir/CMakeCache.txt" ]; then
    _ver=$(sed -n 's/^CMAKE_CACHE_\(MAJOR\|MINOR\|PATCH\)_VERSION:INTERNAL=//p' "$_dir/CMakeCache.txt" |
           paste -sd.)
    if ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$1/c" "$_dir/CMakeCache.txt"; then
      echo "cmake_dir: $_dir was configured for another checkout; starting it afresh" >&2
      rm -rf "$_dir"
    elif [ "cmake version $_ver" != "$(cmake --version | head -1)" ]; then
      echo "cmake_dir: $_dir was configured by CMake $_ver; starting it afresh" >&2
      rm -rf "$_dir"
    fi
  fi
  mkdir -p "$_dir"
  echo "$_dir"
}
