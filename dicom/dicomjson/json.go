package dicomjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"yigong/dicom"
	"yigong/dicom/charset"
)

// ErrSyntax reports JSON that is not a DICOM JSON dataset.
var ErrSyntax = errors.New("dicomjson: not a DICOM JSON dataset")

// Options tunes Marshal.
type Options struct {
	// BulkDataURI, when set, is asked for each binary value (OB, OD, OF,
	// OL, OV, OW, UN, encapsulated or deferred pixel data). Returning ok
	// writes "BulkDataURI"; otherwise the value is inlined as base64.
	// Encapsulated and deferred values need a URI.
	BulkDataURI func(path []dicom.Tag, e *dicom.Element) (uri string, ok bool)
}

// Marshal encodes ds in the DICOM JSON model (PS3.18 Annex F).
func Marshal(ds *dicom.Dataset, opts *Options) ([]byte, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	var b bytes.Buffer
	if err := marshalDataset(&b, ds, nil, &o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func isBinary(vr dicom.VR) bool {
	switch vr {
	case dicom.OB, dicom.OD, dicom.OF, dicom.OL, dicom.OV, dicom.OW, dicom.UN:
		return true
	}
	return false
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func writeString(b *bytes.Buffer, s string) {
	j, _ := json.Marshal(s)
	b.Write(j)
}

func marshalDataset(b *bytes.Buffer, ds *dicom.Dataset, path []dicom.Tag, o *Options) error {
	b.WriteByte('{')
	first := true
	for _, e := range ds.Elements() {
		if e.Tag.IsGroupLength() {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(b, `"%08X":{"vr":"%s"`, uint32(e.Tag), e.VR)
		if err := marshalValue(b, e, append(path, e.Tag), o); err != nil {
			return fmt.Errorf("dicomjson: tag %s: %w", e.Tag, err)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return nil
}

func marshalValue(b *bytes.Buffer, e *dicom.Element, path []dicom.Tag, o *Options) error {
	vr := e.VR
	switch {
	case vr == dicom.SQ || e.Items != nil:
		if len(e.Items) == 0 {
			return nil
		}
		b.WriteString(`,"Value":[`)
		for i, it := range e.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := marshalDataset(b, it, path, o); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case isBinary(vr) || e.Fragments != nil || e.Bulk != nil:
		if o.BulkDataURI != nil {
			if uri, ok := o.BulkDataURI(path, e); ok {
				b.WriteString(`,"BulkDataURI":`)
				writeString(b, uri)
				return nil
			}
		}
		if e.Fragments != nil || e.Raw == nil && e.Bulk != nil {
			if e.Bulk != nil && e.Bulk.URI != "" {
				b.WriteString(`,"BulkDataURI":`)
				writeString(b, e.Bulk.URI)
				return nil
			}
			return errors.New("encapsulated or deferred value needs a BulkDataURI")
		}
		if len(e.Raw) == 0 {
			return nil
		}
		raw, err := e.Bytes()
		if err != nil {
			return err
		}
		b.WriteString(`,"InlineBinary":"`)
		b.WriteString(base64.StdEncoding.EncodeToString(raw))
		b.WriteByte('"')
		return nil
	}
	vals, err := e.Strings()
	if err != nil {
		return err
	}
	if len(vals) == 0 {
		return nil
	}
	b.WriteString(`,"Value":[`)
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		switch vr {
		case dicom.PN:
			if v == "" {
				b.WriteString("null")
				continue
			}
			g := strings.SplitN(v, "=", 3)
			b.WriteByte('{')
			n := 0
			for k, name := range []string{"Alphabetic", "Ideographic", "Phonetic"} {
				if k < len(g) && g[k] != "" {
					if n > 0 {
						b.WriteByte(',')
					}
					n++
					writeString(b, name)
					b.WriteByte(':')
					writeString(b, g[k])
				}
			}
			b.WriteByte('}')
		case dicom.IS, dicom.DS:
			if v == "" {
				b.WriteString("null")
				continue
			}
			if jsonNumber.MatchString(v) {
				b.WriteString(v)
				continue
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				// Not a number (badVR.dcm has IS "1A"): keep the text
				// as a string rather than lose or invent a value.
				writeString(b, v)
				continue
			}
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		case dicom.AT:
			b.WriteByte('"')
			b.WriteString(strings.NewReplacer("(", "", ",", "", ")", "").Replace(v))
			b.WriteByte('"')
		case dicom.FL, dicom.FD:
			f, _ := strconv.ParseFloat(v, 64)
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return fmt.Errorf("%s value %s has no JSON form", vr, v)
			}
			b.WriteString(v)
		case dicom.US, dicom.SS, dicom.UL, dicom.SL, dicom.SV, dicom.UV:
			b.WriteString(v)
		default:
			if v == "" {
				b.WriteString("null")
				continue
			}
			writeString(b, v)
		}
	}
	b.WriteByte(']')
	return nil
}

type jsonElement struct {
	VR           string            `json:"vr"`
	Value        []json.RawMessage `json:"Value"`
	InlineBinary *string           `json:"InlineBinary"`
	BulkDataURI  *string           `json:"BulkDataURI"`
}

// Unmarshal decodes a DICOM JSON dataset (PS3.18 Annex F). Text is encoded
// with the dataset's Specific Character Set; when there is none and a value
// is not ASCII, (0008,0005) is set to ISO_IR 192. BulkDataURI values become
// elements with Bulk.URI set and no Raw.
func Unmarshal(data []byte) (*dicom.Dataset, error) {
	return unmarshalDataset(data, nil, 0)
}

func unmarshalDataset(data []byte, parent *dicom.Dataset, depth int) (*dicom.Dataset, error) {
	if depth > 64 {
		return nil, fmt.Errorf("%w: nesting too deep", ErrSyntax)
	}
	var obj map[string]jsonElement
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	ds := dicom.New()
	if parent != nil {
		ds = dicom.NewItem(parent)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Resolve the character set before any text.
	if je, ok := obj["00080005"]; ok {
		var terms []string
		for _, v := range je.Value {
			var s string
			_ = json.Unmarshal(v, &s)
			terms = append(terms, s)
		}
		cs, err := charset.Parse(terms...)
		if err != nil {
			return nil, fmt.Errorf("dicomjson: tag (0008,0005): %w", err)
		}
		ds.SetCharset(cs)
	} else if parent == nil && !isASCII(data) {
		if err := ds.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, "ISO_IR 192"); err != nil {
			return nil, err
		}
	}
	for _, k := range keys {
		v, err := strconv.ParseUint(k, 16, 32)
		if err != nil || len(k) != 8 {
			return nil, fmt.Errorf("%w: key %q is not a tag", ErrSyntax, k)
		}
		t := dicom.Tag(v)
		if err := unmarshalElement(ds, t, obj[k], depth); err != nil {
			return nil, fmt.Errorf("dicomjson: tag %s: %w", t, err)
		}
	}
	return ds, nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func unmarshalElement(ds *dicom.Dataset, t dicom.Tag, je jsonElement, depth int) error {
	if len(je.VR) != 2 {
		return fmt.Errorf("%w: vr %q", ErrSyntax, je.VR)
	}
	vr, ok := dicom.VRFromBytes(je.VR[0], je.VR[1])
	if !ok {
		return fmt.Errorf("%w: vr %q", ErrSyntax, je.VR)
	}
	switch {
	case je.BulkDataURI != nil:
		e := dicom.NewElement(t, vr, nil, nil)
		e.Bulk = &dicom.BulkData{URI: *je.BulkDataURI, Length: -1}
		ds.Set(e)
		return nil
	case je.InlineBinary != nil:
		raw, err := base64.StdEncoding.DecodeString(*je.InlineBinary)
		if err != nil {
			return fmt.Errorf("InlineBinary: %w", err)
		}
		return ds.SetBytes(t, vr, raw)
	case vr == dicom.SQ:
		items := make([]*dicom.Dataset, 0, len(je.Value))
		for _, v := range je.Value {
			it, err := unmarshalDataset(v, ds, depth+1)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		ds.SetItems(t, items...)
		return nil
	case isBinary(vr):
		return ds.SetBytes(t, vr, nil)
	}
	var strs []string
	var ints []int64
	var floats []float64
	for _, raw := range je.Value {
		if string(raw) == "null" {
			strs = append(strs, "")
			continue
		}
		switch vr {
		case dicom.PN:
			var pn map[string]string
			if err := json.Unmarshal(raw, &pn); err != nil {
				return fmt.Errorf("%w: PN value %s", ErrSyntax, raw)
			}
			g := []string{pn["Alphabetic"], pn["Ideographic"], pn["Phonetic"]}
			n := 3
			for n > 0 && g[n-1] == "" {
				n--
			}
			strs = append(strs, strings.Join(g[:n], "="))
		case dicom.IS, dicom.DS:
			var num json.Number
			if err := json.Unmarshal(raw, &num); err != nil {
				var s string
				if err2 := json.Unmarshal(raw, &s); err2 != nil {
					return fmt.Errorf("%w: %s value %s", ErrSyntax, vr, raw)
				}
				num = json.Number(s)
			}
			strs = append(strs, num.String())
		case dicom.AT:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("%w: AT value %s", ErrSyntax, raw)
			}
			v, err := strconv.ParseUint(s, 16, 32)
			if err != nil {
				return fmt.Errorf("%w: AT value %q", ErrSyntax, s)
			}
			ints = append(ints, int64(v))
		case dicom.US, dicom.SS, dicom.UL, dicom.SL, dicom.SV, dicom.UV:
			v, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				u, err2 := strconv.ParseUint(string(raw), 10, 64)
				if err2 != nil {
					return fmt.Errorf("%w: %s value %s", ErrSyntax, vr, raw)
				}
				v = int64(u)
			}
			ints = append(ints, v)
		case dicom.FL, dicom.FD:
			f, err := strconv.ParseFloat(string(raw), 64)
			if err != nil {
				return fmt.Errorf("%w: %s value %s", ErrSyntax, vr, raw)
			}
			floats = append(floats, f)
		default:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("%w: %s value %s", ErrSyntax, vr, raw)
			}
			strs = append(strs, s)
		}
	}
	switch vr {
	case dicom.AT, dicom.US, dicom.SS, dicom.UL, dicom.SL, dicom.SV, dicom.UV:
		return ds.SetInts(t, vr, ints...)
	case dicom.FL, dicom.FD:
		return ds.SetFloats(t, vr, floats...)
	}
	return ds.SetStrings(t, vr, strs...)
}
