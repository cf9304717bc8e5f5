// Package codec converts pixel data between transfer syntaxes in pure Go:
// the native (uncompressed) syntaxes, RLE Lossless (PS3.5 Annex G, decode
// and encode) and JPEG Baseline, process 1 (PS3.5 §8.2.1 and §10.6, 8-bit
// lossy, decoded and encoded with the standard library's image/jpeg).
//
// # Usage
//
// [Transcode] rewrites a data set's Pixel Data (7FE0,0010) from one
// transfer syntax to another and fixes the attributes that depend on it
// (Photometric Interpretation, Planar Configuration, Lossy Image
// Compression); [TranscodeDataSet] does the same on the bytes of a data
// set as DIMSE carries it (no meta group); [Frames] returns the native
// frames of any supported syntax, for rendering. [CanTranscode] says
// whether a conversion is supported, so a caller can negotiate before
// reading anything.
//
// Native frames are little endian, samples of Bits Allocated 8, 16 or 32,
// in the Planar Configuration the data set declares. JPEG Baseline colour
// is decoded to RGB (the YCbCr of the JPEG stream converted as JFIF
// specifies) and encoded from RGB as YBR_FULL_422, as dcmtk does by
// default.
//
// # Limits
//
// Decoders read untrusted bytes: every segment offset and run is checked
// against the frame it belongs to, and the output size is fixed by the
// image description, never by the input. Other compressed syntaxes (JPEG
// lossless, JPEG-LS, JPEG 2000) answer [ErrUnsupported].
//
// # Concurrency
//
// The package keeps no state; its functions may be called concurrently on
// different data sets.
package codec
