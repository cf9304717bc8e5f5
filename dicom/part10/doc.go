// Package part10 reads and writes DICOM files (PS3.10 §7) and bare data
// sets in every native transfer syntax (PS3.5 §10, Annex A).
//
// # Usage
//
//	f, err := part10.Read(file, nil)           // whole file
//	f, err := part10.Read(file, &part10.Options{PixelData: part10.DeferPixelData})
//	f, err := part10.Read(file, &part10.Options{StopAt: dicom.NewTag(0x0028, 0)}) // index only
//	err = part10.Write(w, f)                    // f.TransferSyntax, or explicit VR LE
//
// [ReadDataset] and [WriteDataset] handle a data set without preamble and
// meta group, as DIMSE carries it; the future dicom/dimse and dicom/net
// packages use them and never parse files themselves.
//
// The reader handles the 128-byte preamble and "DICM", the meta group
// (always explicit VR little endian), implicit VR little endian, explicit
// VR little and big endian, deflated explicit VR little endian, defined and
// undefined lengths, sequences and items at any depth (nesting capped at
// 64), encapsulated pixel data with its Basic Offset Table and fragments,
// private elements, UN of undefined length (read as an implicit VR little
// endian sequence, PS3.5 §6.2.2) and every VR including OV, SV, UV, UC, UR
// and UT. Input without preamble or meta group is sniffed from its first
// element (up to three stray leading bytes are skipped). Encapsulated pixel
// data is always OB, as PS3.5 §A.4 requires.
//
// Large objects: pixel data can be loaded, deferred (offset and length,
// plus a reader when the input is an io.ReaderAt such as *os.File or
// *bytes.Reader), skipped, or the read can stop before it. A deferred
// value with a source is copied through when writing.
//
// # Hostile input
//
// A value length beyond the remaining input is an error wrapping
// [ErrTooLong] before anything is allocated when the input size is known
// (files, byte slices); otherwise values are read in 1 MiB chunks, so a
// lying length cannot allocate more than the input holds. Each value is
// capped by Options.MaxValueLength (1 GiB by default). Errors name the tag
// and offset: "dicom: read tag (7FE0,0010) at offset 1488: ...".
//
// # Writing
//
// Write emits the preamble, "DICM" and the meta group with a correct
// (0002,0000) group length, filling MediaStorageSOPClassUID/InstanceUID
// from the dataset and ImplementationClassUID/VersionName with yigong's.
// Sequences and items are written with undefined length; retired group
// lengths (gggg,0000) of the data set are dropped; byte order is converted
// for binary VRs when source and target differ. Text bytes are written as
// read, so the Specific Character Set stays true.
//
// # Concurrency
//
// Read and Write use no shared state; calls may run in parallel.
//
// # Spec sections
//
// PS3.10 §7.1 (file meta information), PS3.5 §7.1 (element encoding), §7.5
// (sequences and items), §8.2 and Annex A.4 (native and encapsulated pixel
// data), §10 and Annex A (transfer syntaxes), Annex A.5 (deflate).
package part10
