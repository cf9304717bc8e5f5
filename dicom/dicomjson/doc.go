// Package dicomjson encodes and decodes datasets in the DICOM JSON model
// (PS3.18 Annex F), as QIDO-RS and WADO-RS metadata responses and STOW-RS
// JSON requests carry them.
//
// # Usage
//
//	b, err := dicomjson.Marshal(ds, &dicomjson.Options{BulkDataURI: uriFor})
//	ds, err := dicomjson.Unmarshal(b)
//
// Keys are eight upper-case hex digits; each attribute has "vr" and one of
// "Value", "InlineBinary" (base64) or "BulkDataURI". PN values are objects
// with "Alphabetic", "Ideographic" and "Phonetic" groups; IS and DS are JSON
// numbers (a value that is not a number, like "1A", stays a string rather
// than being lost); AT values are hex strings; empty values within a
// multi-valued attribute are null; sequences are arrays of objects.
// Binary values are inlined unless the BulkDataURI hook names a URI;
// encapsulated and deferred pixel data always need one.
//
// JSON text is Unicode; Unmarshal encodes text with the dataset's Specific
// Character Set and, when a dataset without one holds non-ASCII text, sets
// it to ISO_IR 192.
//
// # Spec sections
//
// PS3.18 Annex F (F.2 DICOM JSON model, F.2.3 value representations,
// F.2.5 PN, F.2.6 BulkDataURI, F.2.7 InlineBinary).
package dicomjson
