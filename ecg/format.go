package ecg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Format names an ECG file format.
type Format int

// Formats known to [Sniff].
const (
	FormatUnknown Format = iota
	FormatSCPECG
	FormatAECG
	FormatDICOM
	FormatWFDB
	FormatMUSEXML
	FormatSierraXML
	FormatISHNE
	FormatMFER
)

var formatNames = [...]string{"unknown", "SCP-ECG", "HL7 aECG", "DICOM waveform", "WFDB", "GE MUSE XML", "Philips Sierra XML", "ISHNE", "MFER"}

func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// SniffLen is how many leading bytes [Sniff] looks at.
const SniffLen = 4096

// Sniff names the format of a file from its first bytes (up to [SniffLen]
// are used). It does not validate the file; a reader does.
//
//   - DICOM: "DICM" at offset 128 (PS3.10 §7.1).
//   - SCP-ECG: "SCPECG" in the reserved bytes of the section 0 header at
//     offset 16 (EN 1064 §5.3.2), the record length at offset 2.
//   - XML: the root element: AnnotatedECG (aECG), RestingECG (MUSE),
//     restingecgdata (Sierra).
//   - ISHNE: the magic "ISHNE1.0" or "ANN  1.0".
//   - MFER: the preamble item first, tag 0x40 with its fixed length 32
//     (ISO 22077-1), that is the bytes "@ ".
//   - WFDB: a header line "name nsig [fs[/cfs] [nsamp]]".
func Sniff(head []byte) Format {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	switch {
	case len(head) >= 132 && string(head[128:132]) == "DICM":
		return FormatDICOM
	case len(head) >= 22 && string(head[16:22]) == "SCPECG":
		return FormatSCPECG
	case bytes.HasPrefix(head, []byte("ISHNE1.0")) || bytes.HasPrefix(head, []byte("ANN  1.0")):
		return FormatISHNE
	case len(head) >= 34 && head[0] == 0x40 && head[1] == 0x20:
		return FormatMFER
	}
	if f := sniffXML(head); f != FormatUnknown {
		return f
	}
	if sniffWFDB(head) {
		return FormatWFDB
	}
	return FormatUnknown
}

func sniffXML(head []byte) Format {
	h := bytes.TrimLeft(head, "\xef\xbb\xbf \t\r\n")
	if len(h) == 0 || h[0] != '<' {
		return FormatUnknown
	}
	// Find the first start tag that is not a declaration, comment or
	// processing instruction.
	for len(h) > 0 {
		i := bytes.IndexByte(h, '<')
		if i < 0 || i+1 >= len(h) {
			return FormatUnknown
		}
		h = h[i+1:]
		switch h[0] {
		case '?', '!':
			continue
		}
		end := bytes.IndexAny(h, " \t\r\n/>")
		if end < 0 {
			return FormatUnknown
		}
		name := h[:end]
		if j := bytes.IndexByte(name, ':'); j >= 0 {
			name = name[j+1:]
		}
		switch string(name) {
		case "AnnotatedECG":
			return FormatAECG
		case "RestingECG":
			return FormatMUSEXML
		case "restingecgdata":
			return FormatSierraXML
		}
		return FormatUnknown
	}
	return FormatUnknown
}

func sniffWFDB(head []byte) bool {
	for line := range bytes.Lines(head) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.Fields(line)
		if len(f) < 2 {
			return false
		}
		for _, c := range f[1] {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return false
}

// ReadFunc decodes one whole file of a format.
type ReadFunc func(data []byte) (*Record, error)

// Readers maps formats to their readers; see package ecg/formats for the
// built-in set.
type Readers map[Format]ReadFunc

// ErrUnknownFormat is returned by [Decode] when no format is recognised.
var ErrUnknownFormat = errors.New("ecg: unknown format")

// ErrTooLarge is returned when input exceeds a reader's size cap.
var ErrTooLarge = errors.New("ecg: input too large")

// DefaultMaxSize caps what [Decode] reads: 256 MiB.
const DefaultMaxSize = 256 << 20

// ReadAll reads r to the end, failing with [ErrTooLarge] beyond limit bytes.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// Decode reads a whole file from r (at most [DefaultMaxSize] bytes), names
// its format with [Sniff] and decodes it with the matching reader.
func Decode(r io.Reader, readers Readers) (*Record, error) {
	b, err := ReadAll(r, DefaultMaxSize)
	if err != nil {
		return nil, fmt.Errorf("ecg: decode: %w", err)
	}
	f := Sniff(b)
	if f == FormatUnknown {
		return nil, ErrUnknownFormat
	}
	read, ok := readers[f]
	if !ok {
		return nil, fmt.Errorf("ecg: decode: no reader for %s: %w", f, errors.ErrUnsupported)
	}
	rec, err := read(b)
	if err != nil {
		return nil, err
	}
	rec.Format = f
	return rec, nil
}
