# Sourced by the test scripts (POSIX sh). CMake build folders live in the repository
# (build/cmake/<name>, git-ignored), never in the shared cache: a CMake build folder is tied to
# one source path, and one cache may serve several checkouts (a CI clone beside a working tree).
#   cmake_dir ROOT NAME   prints ROOT/build/cmake/NAME, removing it first if it was configured
#                         for another source folder (a copied or moved tree).
cmake_dir() {
  _dir=$1/build/cmake/$2
  if [ -f "$_dir/CMakeCache.txt" ] &&
     ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$1/c" "$_dir/CMakeCache.txt"; then
    echo "cmake_dir: $_dir was configured for another checkout; starting it afresh" >&2
    rm -rf "$_dir"
  fi
  mkdir -p "$_dir"
  echo "$_dir"
}
