package scpecg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"yigong/ecg"
)

// MaxSize caps an SCP-ECG file: 64 MiB (the record length field allows 4 GiB).
const MaxSize = 64 << 20

// ErrCRC is wrapped by errors for a CRC mismatch.
var ErrCRC = errors.New("CRC mismatch")

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// section is one section as located by section 0.
type section struct {
	id      int
	version int
	body    []byte // after the 16-byte section header
}

// Read reads a whole SCP-ECG file from r (at most [MaxSize] bytes) and
// decodes it.
func Read(r io.Reader) (*ecg.Record, error) {
	b, err := ecg.ReadAll(r, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("scpecg: %w", err)
	}
	return Decode(b)
}

// Decode decodes an SCP-ECG file held in b.
func Decode(b []byte) (*ecg.Record, error) {
	f, err := parse(b)
	if err != nil {
		return nil, err
	}
	return f.record()
}

// file is the located sections of an SCP-ECG record.
type file struct {
	sections map[int]section
}

func parse(b []byte) (*file, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("scpecg: %w: %d bytes", ecg.ErrTooLarge, len(b))
	}
	if len(b) < 6+16 {
		return nil, fmt.Errorf("scpecg: %d bytes is too short for a record", len(b))
	}
	n := le32(b[2:])
	if n < 22 || uint64(n) > uint64(len(b)) {
		return nil, fmt.Errorf("scpecg: record length %d, file has %d bytes", n, len(b))
	}
	b = b[:n]
	if got, want := crcCCITT(b[2:]), le16(b); got != want {
		return nil, fmt.Errorf("scpecg: record: %w: stored %04x, computed %04x", ErrCRC, want, got)
	}
	s0, err := sectionAt(b, 6, 0)
	if err != nil {
		return nil, err
	}
	f := &file{sections: map[int]section{0: s0}}
	body := s0.body
	for p := 0; p+10 <= len(body); p += 10 {
		id, length, index := int(le16(body[p:])), le32(body[p+2:]), le32(body[p+6:])
		if id == 0 || length == 0 || index == 0 {
			continue
		}
		if _, dup := f.sections[id]; dup {
			return nil, fmt.Errorf("scpecg: section 0: section %d listed twice", id)
		}
		if uint64(index)-1+uint64(length) > uint64(len(b)) {
			return nil, fmt.Errorf("scpecg: section 0: section %d at %d, %d bytes, beyond record end %d", id, index, length, len(b))
		}
		s, err := sectionAt(b, int(index-1), id)
		if err != nil {
			return nil, err
		}
		if len(s.body)+16 != int(length) {
			return nil, fmt.Errorf("scpecg: section %d: length %d, section 0 says %d", id, len(s.body)+16, length)
		}
		f.sections[id] = s
	}
	return f, nil
}

// sectionAt checks and returns the section whose header starts at off.
func sectionAt(b []byte, off, id int) (section, error) {
	if off < 0 || off+16 > len(b) {
		return section{}, fmt.Errorf("scpecg: section %d: header at %d beyond record end", id, off)
	}
	h := b[off:]
	if got := int(le16(h[2:])); got != id {
		return section{}, fmt.Errorf("scpecg: section %d: header says section %d", id, got)
	}
	length := le32(h[4:])
	if length < 16 || uint64(length) > uint64(len(h)) {
		return section{}, fmt.Errorf("scpecg: section %d: length %d does not fit", id, length)
	}
	if got, want := crcCCITT(h[2:length]), le16(h); got != want {
		return section{}, fmt.Errorf("scpecg: section %d: %w: stored %04x, computed %04x", id, ErrCRC, want, got)
	}
	return section{id: id, version: int(h[8]), body: h[16:length]}, nil
}

// leadDef is one lead of section 3.
type leadDef struct {
	start, end int // 1-based sample numbers, inclusive
	id         int
}

func (l leadDef) n() int { return l.end - l.start + 1 }

// maxSamples caps the samples of one lead (about 9 hours at 1 kHz).
const maxSamples = 1 << 25

func parseLeads(b []byte) (leads []leadDef, refBeatSubtraction bool, err error) {
	if len(b) < 2 {
		return nil, false, errors.New("scpecg: section 3: too short")
	}
	n := int(b[0])
	flags := b[1]
	if 2+9*n > len(b) {
		return nil, false, fmt.Errorf("scpecg: section 3: %d leads do not fit in %d bytes", n, len(b))
	}
	for i := range n {
		p := b[2+9*i:]
		l := leadDef{start: int(le32(p)), end: int(le32(p[4:])), id: int(p[8])}
		if l.start < 1 || l.end < l.start || l.n() > maxSamples {
			return nil, false, fmt.Errorf("scpecg: section 3: lead %d: samples %d to %d", i, l.start, l.end)
		}
		leads = append(leads, l)
	}
	return leads, flags&1 != 0, nil
}

func leadName(id int) string {
	if n, ok := ecg.LeadFromCode(id); ok {
		return n
	}
	return fmt.Sprintf("lead %d", id)
}

// qrsLoc is one QRS of section 4.
type qrsLoc struct {
	typ                  int
	start, fiducial, end int // 1-based sample numbers
	protStart, protEnd   int
}

type section4 struct {
	refLenMS    int
	refFiducial int // 1-based sample number within the reference beat
	qrs         []qrsLoc
}

func parseQRSLocations(b []byte) (*section4, error) {
	if len(b) < 6 {
		return nil, errors.New("scpecg: section 4: too short")
	}
	s := &section4{refLenMS: int(le16(b)), refFiducial: int(le16(b[2:]))}
	n := int(le16(b[4:]))
	p := 6
	if p+14*n > len(b) {
		return nil, fmt.Errorf("scpecg: section 4: %d QRS complexes do not fit", n)
	}
	for range n {
		q := b[p:]
		s.qrs = append(s.qrs, qrsLoc{typ: int(le16(q)), start: int(le32(q[2:])), fiducial: int(le32(q[6:])), end: int(le32(q[10:]))})
		p += 14
	}
	// The protected areas follow when the rest holds them.
	if p+8*n <= len(b) {
		for i := range s.qrs {
			q := b[p+8*i:]
			s.qrs[i].protStart, s.qrs[i].protEnd = int(le32(q)), int(le32(q[4:]))
		}
	}
	return s, nil
}

// encoded is a decoded section 5 or 6 header with per-lead byte slices.
type encoded struct {
	avm        float64 // nanovolts per unit
	intervalUS int
	diff       int
	bimodal    bool
	data       [][]byte
}

func parseEncoded(id int, b []byte, nleads int) (*encoded, error) {
	if len(b) < 6+2*nleads {
		return nil, fmt.Errorf("scpecg: section %d: too short for %d leads", id, nleads)
	}
	e := &encoded{avm: float64(le16(b)), intervalUS: int(le16(b[2:])), diff: int(b[4]), bimodal: b[5] == 1 && id == 6}
	if e.intervalUS == 0 {
		return nil, fmt.Errorf("scpecg: section %d: sample time interval 0", id)
	}
	if e.diff > 2 {
		return nil, fmt.Errorf("scpecg: section %d: difference encoding %d", id, e.diff)
	}
	p := 6 + 2*nleads
	for i := range nleads {
		n := int(le16(b[6+2*i:]))
		if p+n > len(b) {
			return nil, fmt.Errorf("scpecg: section %d: lead %d: %d bytes beyond section end", id, i, n)
		}
		e.data = append(e.data, b[p:p+n])
		p += n
	}
	return e, nil
}

// undiff reverses first or second difference encoding in place (EN 1064
// §5.6.2: the first one or two values are stored as they are).
func undiff(v []int32, diff int) {
	switch diff {
	case 1:
		for i := 1; i < len(v); i++ {
			v[i] += v[i-1]
		}
	case 2:
		for i := 2; i < len(v); i++ {
			v[i] += 2*v[i-1] - v[i-2]
		}
	}
}

func (f *file) record() (*ecg.Record, error) {
	rec := &ecg.Record{Format: ecg.FormatSCPECG}
	if s, ok := f.sections[1]; ok {
		if err := parsePatient(s.body, rec); err != nil {
			return nil, err
		}
	}
	var huff huffSet
	if s, ok := f.sections[2]; ok {
		h, err := parseHuffman(s.body)
		if err != nil {
			return nil, fmt.Errorf("scpecg: %w", err)
		}
		huff = h
	}
	s3, ok := f.sections[3]
	if !ok {
		return nil, errors.New("scpecg: section 3 (lead definition) is missing")
	}
	leads, subtract, err := parseLeads(s3.body)
	if err != nil {
		return nil, err
	}
	var s4 *section4
	if s, ok := f.sections[4]; ok {
		if s4, err = parseQRSLocations(s.body); err != nil {
			return nil, err
		}
	}
	// Section 5: reference beats.
	var ref [][]int32
	var refEnc *encoded
	if s, ok := f.sections[5]; ok && s4 != nil && len(s.body) > 0 {
		if refEnc, err = parseEncoded(5, s.body, len(leads)); err != nil {
			return nil, err
		}
		n := s4.refLenMS * 1000 / refEnc.intervalUS
		if n > maxSamples {
			return nil, fmt.Errorf("scpecg: section 5: %d samples", n)
		}
		for i, d := range refEnc.data {
			v, err := decodeHuffman(huff, d, n)
			if err != nil {
				return nil, fmt.Errorf("scpecg: section 5: lead %s: %w", leadName(leads[i].id), err)
			}
			undiff(v, refEnc.diff)
			ref = append(ref, v)
		}
		rec.MedianSampleRate = 1e6 / float64(refEnc.intervalUS)
		for i, v := range ref {
			rec.Median = append(rec.Median, ecg.Lead{Name: leadName(leads[i].id), Samples: scale(v, refEnc.avm)})
		}
	}
	// Section 6: rhythm data.
	s6, ok := f.sections[6]
	if !ok {
		return nil, errors.New("scpecg: section 6 (rhythm data) is missing")
	}
	rh, err := parseEncoded(6, s6.body, len(leads))
	if err != nil {
		return nil, err
	}
	rec.SampleRate = 1e6 / float64(rh.intervalUS)
	for i, d := range rh.data {
		l := leads[i]
		var v []int32
		if rh.bimodal {
			v, err = decodeBimodal(huff, d, rh, refEnc, s4, l)
		} else {
			v, err = decodeHuffman(huff, d, l.n())
			if err == nil {
				undiff(v, rh.diff)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("scpecg: section 6: lead %s: %w", leadName(l.id), err)
		}
		if subtract {
			if err := addReference(v, l, ref, i, s4, refEnc, rh); err != nil {
				return nil, fmt.Errorf("scpecg: section 6: lead %s: %w", leadName(l.id), err)
			}
		}
		rec.Leads = append(rec.Leads, ecg.Lead{Name: leadName(l.id), Samples: scale(v, rh.avm)})
	}
	if rh.bimodal && refEnc != nil {
		rec.SampleRate = 1e6 / float64(refEnc.intervalUS)
	}
	if s4 != nil {
		for _, q := range s4.qrs {
			s := q.fiducial - 1
			rec.Beats = append(rec.Beats, ecg.Beat{
				Sample: s, Time: time.Duration(float64(s) / rec.SampleRate * float64(time.Second)),
				Code: fmt.Sprint(q.typ), Channel: -1,
			})
		}
	}
	if s, ok := f.sections[7]; ok {
		parseMeasurements(s.body, rec)
	}
	if s, ok := f.sections[8]; ok {
		rec.Statements = append(rec.Statements, parseStatements(s.body)...)
	}
	return rec, nil
}

func scale(v []int32, avmNV float64) []float64 {
	out := make([]float64, len(v))
	k := avmNV / 1000
	for i, x := range v {
		out[i] = float64(x) * k
	}
	return out
}

// addReference adds the reference beat back into the residual rhythm of one
// lead over the subtraction zone of each type-0 QRS (EN 1064 §5.7.2): the
// reference beat's fiducial point is aligned with the QRS fiducial.
func addReference(v []int32, l leadDef, ref [][]int32, lead int, s4 *section4, refEnc, rh *encoded) error {
	if s4 == nil || ref == nil || lead >= len(ref) {
		return errors.New("reference beat subtraction without sections 4 and 5")
	}
	if refEnc.intervalUS != rh.intervalUS && !rh.bimodal {
		return fmt.Errorf("reference beat at %d µs, rhythm at %d µs without bimodal compression: %w", refEnc.intervalUS, rh.intervalUS, errors.ErrUnsupported)
	}
	r := ref[lead]
	for _, q := range s4.qrs {
		if q.typ != 0 {
			continue
		}
		// Clamp the zone to the lead and to the reference beat.
		lo := max(q.start, l.start, q.fiducial-s4.refFiducial+1)
		hi := min(q.end, l.start+len(v)-1, q.fiducial-s4.refFiducial+len(r))
		for s := lo; s <= hi; s++ {
			v[s-l.start] += r[s-q.fiducial+s4.refFiducial-1]
		}
	}
	return nil
}

// decodeBimodal decodes rhythm data stored with bimodal compression
// (EN 1064 §5.7.3): inside the protected areas of section 4 every sample
// is stored; outside them one sample in every f, where f is the ratio of
// the rhythm to the reference-beat sample time interval. The result is at
// the reference-beat rate, linearly interpolated outside protected areas.
func decodeBimodal(huff huffSet, d []byte, rh, refEnc *encoded, s4 *section4, l leadDef) ([]int32, error) {
	if refEnc == nil || s4 == nil {
		return nil, errors.New("bimodal compression without sections 4 and 5")
	}
	if rh.intervalUS%refEnc.intervalUS != 0 {
		return nil, fmt.Errorf("bimodal compression: rhythm interval %d µs is not a multiple of %d µs", rh.intervalUS, refEnc.intervalUS)
	}
	f := rh.intervalUS / refEnc.intervalUS
	n := l.n()
	// At least n/f values are stored, each taking at least one bit.
	if n/f > 8*len(d) {
		return nil, errShortData
	}
	// Protected areas as sorted, 1-based inclusive spans.
	type span struct{ a, b int }
	var prot []span
	for _, q := range s4.qrs {
		if q.protEnd >= q.protStart && q.protStart > 0 {
			prot = append(prot, span{q.protStart, q.protEnd})
		}
	}
	slices.SortFunc(prot, func(x, y span) int { return x.a - y.a })
	// Which output samples are stored: every sample in a protected span,
	// every f-th sample elsewhere, restarting the count after a span.
	var stored []int
	k := 0 // next protected span
	for s := 1; s <= n; {
		for k < len(prot) && prot[k].b < s {
			k++
		}
		if k < len(prot) && s >= prot[k].a {
			stored = append(stored, s-1)
			s++
			continue
		}
		stored = append(stored, s-1)
		next := s + f
		if k < len(prot) && prot[k].a < next {
			next = prot[k].a
		}
		s = next
		if len(stored) > 8*len(d) {
			return nil, errShortData
		}
	}
	vals, err := decodeHuffman(huff, d, len(stored))
	if err != nil {
		return nil, err
	}
	undiff(vals, rh.diff)
	out := make([]int32, n)
	for k, i := range stored {
		out[i] = vals[k]
		if k > 0 {
			a, b := stored[k-1], i
			for j := a + 1; j < b; j++ {
				out[j] = vals[k-1] + int32(int64(vals[k]-vals[k-1])*int64(j-a)/int64(b-a))
			}
		}
	}
	for j := stored[len(stored)-1] + 1; j < n; j++ {
		out[j] = vals[len(vals)-1]
	}
	return out, nil
}
