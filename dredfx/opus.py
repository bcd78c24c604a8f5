"""libopus 1.6.1's codec API with dredfx inside (the dredfx-opus library, c/opus/): Encoder,
Decoder (packets, losses concealed by deep PLC, LBRR), DredDecoder (DRED parse, then
Decoder.decode_dred). The codec is libopus' own (SILK, CELT, their glue); DRED, the PLC and FARGAN
run on dredfx's fixed-point models. The neural parts need dredfx's weights (the default blob,
or set_weights(blob) before the codec objects are made).

Encoder(sampling_rate=16000, channels=1, bitrate=24000, application="voip", complexity=10,
        frame_ms=20, dred_ms=0, lbrr=False, loss_perc=0)
    .encode(pcm) -> bytes (one frame, int16 or float32); .encode_all(pcm) -> [bytes];
    .lookahead, .frame_size
Decoder(sampling_rate=16000, channels=1, complexity=5)
    .decode(packet or None, frame_size=None, fec=False) -> int16 array
    .decode_dred(dred, offset_samples, frame_size) -> int16 array; .reset()
DredDecoder(sampling_rate=16000)
    .parse(packet, max_dred_samples, sampling_rate=None) -> Dred (.available_samples,
    .dred_end) or None
packet_has_lbrr(packet), set_weights(blob), weights_status(), version()

Every codec call releases the GIL; use one object per thread."""
try:
    from ._opus import (Decoder, Dred, DredDecoder, Encoder, RATES, packet_has_lbrr, set_weights,
                        version, weights_status)
except ImportError as e:
    raise ImportError(
        "dredfx.opus is not built: it needs the libopus 1.6.1 source when dredfx is built. Run "
        "`bash scripts/get-libopus.sh` (or set DREDFX_OPUS_SOURCE to an opus 1.6.1 source tree), "
        "then build dredfx again (pip install ., or python setup.py build_ext --inplace)") from e

__all__ = ["Encoder", "Decoder", "DredDecoder", "Dred", "RATES", "packet_has_lbrr", "set_weights",
           "version", "weights_status"]
