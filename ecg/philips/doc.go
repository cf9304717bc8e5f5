// Package philips reads Philips Sierra ECG XML (the PageWriter and
// HeartStart "restingecgdata" documents, versions 1.03, 1.04 and 1.04.01)
// into the [ecg.Record] model.
//
// The rhythm leads sit base64-encoded in waveforms/parsedwaveforms. When
// its compressmethod attribute is "XLI", the data is one chunk per lead,
// each:
//
//	offset 0  uint32 LE  size of the compressed data that follows
//	offset 4  int16  LE  a field that is always 1 (not used)
//	offset 6  int16  LE  the first second-difference term
//	offset 8  size bytes LZW data, 10-bit codes packed most significant bit
//	          first, dictionary 0–255 single bytes then 256–1022 learnt
//	          strings (no reset), code 1023 ends the stream
//
// The LZW output of a lead of n samples is 2n bytes: first the n high
// bytes, then the n low bytes of 16-bit terms v. Samples are rebuilt by
// second-order prediction: s0 = v0, s1 = v1, s2 = 2·s1 − s0 − first, and
// s(i+1) = 2·s(i) − s(i−1) − (v(i) − 64) for i ≥ 2. Finally, when the
// first six leads are I, II, III, aVR, aVL and aVF, leads III–aVF are
// stored as corrections to the value derived from I and II and are
// restored as III = II − I − c, aVR = −c − ⌊(I+II)/2⌋,
// aVL = ⌊(I−III)/2⌋ − c and aVF = ⌊(II+III)/2⌋ − c. Samples are in units
// of signalresolution microvolts.
//
// Philips does not publish the XLI scheme; this description follows the
// public reverse-engineering notes of the Sierra ECG Tools project and was
// checked against a device-made file. Uncompressed data (lead after lead,
// int16 little-endian) is read too, and the representative beats in
// waveforms/repbeats become [ecg.Record.Median].
package philips
