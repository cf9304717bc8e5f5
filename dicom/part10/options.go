package part10

import (
	"errors"

	"yigong/dicom"
	"yigong/dicom/charset"
	"yigong/dicom/uid"
)

// Errors callers may branch on.
var (
	// ErrNotDICOM reports input that is neither a Part 10 file nor a
	// dataset in a recognisable transfer syntax.
	ErrNotDICOM = errors.New("not a DICOM stream")
	// ErrTooLong reports a value length beyond the remaining input or the
	// reader's cap; nothing of that size is allocated.
	ErrTooLong = errors.New("value length exceeds input or cap")
	// ErrMalformed reports a structure that breaks PS3.5: bad VR, stray
	// delimiter, item outside a sequence, nesting too deep.
	ErrMalformed = errors.New("malformed data")
)

// PixelDataMode says what the reader does with pixel data (7FE0,0010) and
// its float variants at the top level.
type PixelDataMode uint8

const (
	// LoadPixelData reads pixel data into memory (the default).
	LoadPixelData PixelDataMode = iota
	// DeferPixelData leaves the value in the stream: the element has no Raw
	// but a Bulk with offset and length, readable through Bulk.Reader when
	// the input was an io.ReaderAt (a file or bytes.Reader) not deflated.
	DeferPixelData
	// SkipPixelData drops the element and reads on.
	SkipPixelData
	// StopAtPixelData ends the read at the pixel data header: what follows
	// (rare trailing elements such as digital signatures) is not read.
	StopAtPixelData
)

// DefaultMaxValueLength caps a single value unless Options says otherwise.
const DefaultMaxValueLength = 1 << 30

// maxDepth caps sequence nesting against hostile input.
const maxDepth = 64

// Options tunes the reader. The zero value reads everything.
type Options struct {
	PixelData PixelDataMode
	// StopAt, when non-zero, ends the read before the first top-level
	// element whose tag is >= StopAt: indexing reads up to (0028,0000)
	// decode nothing of the image.
	StopAt dicom.Tag
	// MaxValueLength caps one value (default DefaultMaxValueLength). A
	// length beyond the remaining input is always an error when the input
	// size is known, and is read in bounded chunks when it is not.
	MaxValueLength int64
	// Charset decodes text when the dataset has no Specific Character Set
	// (0008,0005): per-sender configuration for modalities that send GBK
	// without declaring it. Nil means the default repertoire.
	Charset *charset.Set
	// ForceCharset overrides a declared (0008,0005) as well.
	ForceCharset bool
	// MaxInflatedLength caps the inflated size of a deflated data set
	// against decompression bombs (default DefaultMaxInflatedLength).
	MaxInflatedLength int64
}

// DefaultMaxInflatedLength caps a deflated data set unless Options says
// otherwise.
const DefaultMaxInflatedLength = 4 << 30

// File is a Part 10 file (PS3.10 §7): preamble, File Meta Information
// (group 0002) and the dataset.
type File struct {
	// Preamble is the 128-byte preamble, or nil when the file had none.
	Preamble []byte
	// Meta holds the group 0002 elements; it is empty when the input had no
	// meta group.
	Meta *dicom.Dataset
	// Dataset holds everything after the meta group.
	Dataset *dicom.Dataset
	// TransferSyntax is the one the dataset was read (or is to be
	// written) in.
	TransferSyntax uid.TransferSyntax
	// Stopped reports that the reader stopped early (StopAt or
	// StopAtPixelData) and the dataset is incomplete.
	Stopped bool
}
