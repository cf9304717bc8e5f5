package dicom

import (
	"fmt"
	"strings"
)

// String prints the dataset as dcmdump does: one element per line with tag,
// VR, value and keyword, sequence items indented.
func (ds *Dataset) String() string {
	var b strings.Builder
	ds.dump(&b, 0)
	return b.String()
}

func (ds *Dataset) dump(b *strings.Builder, depth int) {
	ind := strings.Repeat("  ", depth)
	for _, e := range ds.Elements() {
		b.WriteString(ind)
		b.WriteString(e.dumpLine())
		b.WriteByte('\n')
		for _, it := range e.Items {
			fmt.Fprintf(b, "%s  (fffe,e000) na (Item with %d elements)\n", ind, it.Len())
			it.dump(b, depth+2)
		}
	}
}

func (e *Element) dumpLine() string {
	var val string
	switch {
	case e.VR == SQ || len(e.Items) > 0:
		val = fmt.Sprintf("(Sequence with %d items)", len(e.Items))
	case e.Fragments != nil:
		val = fmt.Sprintf("(PixelSequence with %d fragments)", len(e.Fragments.Items))
	case e.Raw == nil && e.Bulk != nil:
		val = fmt.Sprintf("(not loaded: %d bytes at offset %d)", e.Bulk.Length, e.Bulk.Offset)
	case len(e.Raw) == 0:
		val = "(no value available)"
	default:
		vr := e.ValueVR()
		s, err := e.Strings()
		switch {
		case err != nil:
			val = "(invalid: " + err.Error() + ")"
		case vr.IsText():
			val = "[" + strings.Join(s, `\`) + "]"
		case vr == OB || vr == UN || vr == OW || vr == OF || vr == OD || vr == OL || vr == OV:
			val = hexWords(e)
		default:
			val = strings.Join(s, `\`)
		}
	}
	if n := []rune(val); len(n) > 64 {
		val = string(n[:64]) + "..."
	}
	length := fmt.Sprint(e.Length)
	if e.Length == UndefinedLength {
		length = "u/l"
	}
	kw := e.Keyword()
	if kw == "" {
		kw = "Unknown Tag & Data"
	}
	pad := 40 - len([]rune(val))
	if pad < 1 {
		pad = 1
	}
	return fmt.Sprintf("%s %s %s%s# %3s, %d %s", strings.ToLower(e.Tag.String()), e.VR, val, strings.Repeat(" ", pad), length, e.VM(), kw)
}

func hexWords(e *Element) string {
	raw, _ := e.Bytes()
	size := 1
	if e.ValueVR() == OW {
		size = 2
	}
	var parts []string
	for i := 0; i+size <= len(raw) && len(parts) < 24; i += size {
		if size == 2 {
			parts = append(parts, fmt.Sprintf("%04x", uint16(raw[i])|uint16(raw[i+1])<<8))
		} else {
			parts = append(parts, fmt.Sprintf("%02x", raw[i]))
		}
	}
	return strings.Join(parts, `\`)
}

// Dump prints the element on one line as dcmdump does.
func (e *Element) Dump() string { return e.dumpLine() }
