package mfer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"yigong/ecg"
)

// MaxSize caps an MFER file: 256 MiB.
const MaxSize = 256 << 20

// Tags of ISO 22077-1 used here.
const (
	tagZero       = 0x00
	tagByteOrder  = 0x01
	tagVersion    = 0x02
	tagCharCode   = 0x03
	tagBlockLen   = 0x04
	tagChannels   = 0x05
	tagSequences  = 0x06
	tagWaveType   = 0x08
	tagLead       = 0x09
	tagDataType   = 0x0A
	tagInterval   = 0x0B
	tagResolution = 0x0C
	tagOffset     = 0x0D
	tagNull       = 0x12
	tagComment    = 0x16
	tagMaker      = 0x17
	tagWaveform   = 0x1E
	tagAttribute  = 0x3F
	tagPreamble   = 0x40
	tagEnd        = 0x80
	tagName       = 0x81
	tagAge        = 0x82
	tagPatientID  = 0x83
	tagSex        = 0x84
	tagTime       = 0x85
)

// maxChannels and maxSamples cap what a header can make the reader
// allocate.
const (
	maxChannels = 256
	maxSamples  = 64 << 20 // all channels together
)

// maxAnnotations caps the "mfer-null" annotations (one per run of null
// samples).
const maxAnnotations = 10000

func sampleTime(n int, fs float64) time.Duration {
	return time.Duration(math.Round(float64(n) / fs * float64(time.Second)))
}

// Read reads a whole MFER file from r (at most [MaxSize] bytes) and
// decodes it.
func Read(r io.Reader) (*ecg.Record, error) {
	b, err := ecg.ReadAll(r, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("mfer: %w", err)
	}
	return Decode(b)
}

// channel holds the definitions that apply to one channel: the frame's,
// overridden by its attribute.
type channel struct {
	lead       string
	blockLen   int
	dataType   int
	resolution float64 // µV per unit
	offset     float64
	null       *float64
}

type decoder struct {
	order   binary.ByteOrder
	utf8    bool
	def     channel
	chans   map[int]*channel
	nChan   int
	nSeq    int
	rate    float64
	data    []byte
	rec     *ecg.Record
	version []byte
}

// Decode decodes an MFER file held in b.
func Decode(b []byte) (*ecg.Record, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("mfer: %w: %d bytes", ecg.ErrTooLarge, len(b))
	}
	d := &decoder{
		order: binary.BigEndian,
		def:   channel{blockLen: 1, resolution: math.NaN()},
		chans: map[int]*channel{},
		nChan: 1,
		rec:   &ecg.Record{Format: ecg.FormatMFER},
	}
	if err := d.items(b, nil); err != nil {
		return nil, err
	}
	return d.record()
}

// item reads one TLV item at b[off:], returning the tag, the channel
// number of a channel attribute, the value and the next offset.
func item(b []byte, off int) (tag, ch int, v []byte, next int, err error) {
	if off >= len(b) {
		return 0, 0, nil, 0, io.ErrUnexpectedEOF
	}
	tag = int(b[off])
	off++
	if tag == tagAttribute {
		for n := 0; ; n++ {
			if off >= len(b) || n >= 4 {
				return 0, 0, nil, 0, fmt.Errorf("channel number at %d: %w", off, io.ErrUnexpectedEOF)
			}
			c := b[off]
			off++
			ch = ch<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if tag == tagEnd {
		// The end tag may stand alone at the end of the file.
		if off >= len(b) {
			return tag, 0, nil, off, nil
		}
	}
	if off >= len(b) {
		return 0, 0, nil, 0, fmt.Errorf("length of tag %#02x: %w", tag, io.ErrUnexpectedEOF)
	}
	n := int(b[off])
	off++
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || off+k > len(b) {
			return 0, 0, nil, 0, fmt.Errorf("tag %#02x: bad long length (%d bytes)", tag, k)
		}
		n = 0
		for _, c := range b[off : off+k] {
			n = n<<8 | int(c)
		}
		off += k
	}
	if n > len(b)-off {
		return 0, 0, nil, 0, fmt.Errorf("tag %#02x: length %d beyond the end of the file: %w", tag, n, io.ErrUnexpectedEOF)
	}
	return tag, ch, b[off : off+n], off + n, nil
}

// items decodes a sequence of items; ch is the channel whose attribute is
// being read, nil at the top level.
func (d *decoder) items(b []byte, ch *channel) error {
	for off := 0; off < len(b); {
		tag, n, v, next, err := item(b, off)
		if err != nil {
			return fmt.Errorf("mfer: item at %d: %w", off, err)
		}
		off = next
		target := &d.def
		if ch != nil {
			target = ch
		}
		switch tag {
		case tagEnd:
			if ch == nil {
				return nil
			}
		case tagByteOrder:
			if len(v) == 1 && v[0] == 1 {
				d.order = binary.LittleEndian
			} else {
				d.order = binary.BigEndian
			}
		case tagVersion:
			d.version = v
		case tagCharCode:
			d.utf8 = strings.Contains(strings.ToUpper(string(v)), "UTF")
		case tagBlockLen:
			bl, err := d.uint(v)
			if err != nil || bl < 1 || bl > maxSamples {
				return fmt.Errorf("mfer: samples per block %d: %v", bl, err)
			}
			target.blockLen = int(bl)
		case tagChannels:
			c, err := d.uint(v)
			if err != nil || c < 1 || c > maxChannels {
				return fmt.Errorf("mfer: %d channels, want 1–%d", c, maxChannels)
			}
			d.nChan = int(c)
		case tagSequences:
			s, err := d.uint(v)
			if err != nil || s > maxSamples {
				return fmt.Errorf("mfer: %d sequences", s)
			}
			d.nSeq = int(s)
		case tagDataType:
			if len(v) != 1 {
				return fmt.Errorf("mfer: data type of %d bytes", len(v))
			}
			t := int(v[0])
			if t >= 9 {
				return fmt.Errorf("mfer: data type %d: %w", t, errors.ErrUnsupported)
			}
			target.dataType = t
		case tagInterval:
			r, err := d.interval(v)
			if err != nil {
				return err
			}
			if ch != nil && d.rate != 0 && r != d.rate {
				return fmt.Errorf("mfer: channel sampled at %v Hz, frame at %v Hz: %w", r, d.rate, errors.ErrUnsupported)
			}
			d.rate = r
		case tagResolution:
			r, err := d.resolution(v)
			if err != nil {
				return err
			}
			target.resolution = r
		case tagOffset, tagNull:
			x, err := d.value(v, target.dataType)
			if err != nil {
				return fmt.Errorf("mfer: tag %#02x: %w", tag, err)
			}
			if tag == tagOffset {
				target.offset = x
			} else {
				target.null = &x
			}
		case tagLead:
			target.lead = d.leadName(v)
		case tagAttribute:
			if ch != nil {
				return errors.New("mfer: channel attribute inside a channel attribute")
			}
			if n >= maxChannels {
				return fmt.Errorf("mfer: channel %d", n)
			}
			c, ok := d.chans[n]
			if !ok {
				cp := d.def
				c = &cp
				c.lead = ""
				d.chans[n] = c
			}
			if err := d.items(v, c); err != nil {
				return err
			}
		case tagWaveform:
			if len(d.data)+len(v) > MaxSize {
				return fmt.Errorf("mfer: %w: waveform data", ecg.ErrTooLarge)
			}
			d.data = append(d.data, v...)
		case tagName:
			d.rec.Patient.Name = d.text(v)
		case tagPatientID:
			d.rec.Patient.ID = d.text(v)
		case tagSex:
			if len(v) == 1 {
				d.rec.Patient.Sex = map[byte]ecg.Sex{1: ecg.SexMale, 2: ecg.SexFemale, 3: ecg.SexUnspecified}[v[0]]
			}
		case tagAge:
			d.age(v)
		case tagTime:
			d.rec.Start = d.when(v)
		case tagMaker:
			parts := strings.Split(d.text(v), "^")
			for len(parts) < 4 {
				parts = append(parts, "")
			}
			d.rec.Device.Manufacturer, d.rec.Device.Model, d.rec.Device.Serial, d.rec.Device.Software = parts[0], parts[1], parts[2], parts[3]
		case tagComment:
			if s := d.text(v); s != "" {
				d.rec.Statements = append(d.rec.Statements, s)
			}
		}
	}
	return nil
}

// uint reads an unsigned integer of 1–4 bytes in the file's byte order.
func (d *decoder) uint(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 4 {
		return 0, fmt.Errorf("integer of %d bytes", len(v))
	}
	var x int64
	if d.order == binary.BigEndian {
		for _, c := range v {
			x = x<<8 | int64(c)
		}
	} else {
		for i := len(v) - 1; i >= 0; i-- {
			x = x<<8 | int64(v[i])
		}
	}
	return x, nil
}

// sint reads a signed integer of 1–4 bytes in the file's byte order.
func (d *decoder) sint(v []byte) (int64, error) {
	x, err := d.uint(v)
	if err != nil {
		return 0, err
	}
	bits := uint(8 * len(v))
	if x&(1<<(bits-1)) != 0 {
		x -= 1 << bits
	}
	return x, nil
}

// scaled reads unit, exponent and mantissa (ISO 22077-1 sampling
// information): mantissa × 10^exponent.
func (d *decoder) scaled(v []byte) (unit int, x float64, err error) {
	if len(v) < 3 {
		return 0, 0, fmt.Errorf("%d bytes", len(v))
	}
	m, err := d.sint(v[2:])
	if err != nil {
		return 0, 0, err
	}
	return int(v[0]), pow10(float64(m), int(int8(v[1]))), nil
}

// pow10 is x × 10^e, dividing for negative e so that decimal values such
// as 25 × 10^-1 come out exact.
func pow10(x float64, e int) float64 {
	if e < 0 {
		return x / math.Pow(10, float64(-e))
	}
	return x * math.Pow(10, float64(e))
}

func (d *decoder) interval(v []byte) (float64, error) {
	unit, x, err := d.scaled(v)
	if err != nil {
		return 0, fmt.Errorf("mfer: sampling interval: %w", err)
	}
	var r float64
	switch unit {
	case 0: // Hz
		r = x
	case 1: // s
		if x > 0 {
			r = 1 / x
		}
	default:
		return 0, fmt.Errorf("mfer: sampling interval unit %d: %w", unit, errors.ErrUnsupported)
	}
	if !(r > 0) || r > 1e6 || math.IsInf(r, 0) {
		return 0, fmt.Errorf("mfer: sampling rate %v Hz", r)
	}
	return r, nil
}

func (d *decoder) resolution(v []byte) (float64, error) {
	if len(v) < 3 {
		return 0, fmt.Errorf("mfer: resolution: %d bytes", len(v))
	}
	// In µV: mantissa × 10^(exponent+6).
	unit := int(v[0])
	m, err := d.sint(v[2:])
	if err != nil {
		return 0, fmt.Errorf("mfer: resolution: %w", err)
	}
	x := pow10(float64(m), int(int8(v[1]))+6)
	if unit != 0 {
		return 0, fmt.Errorf("mfer: resolution unit %d is not volts: %w", unit, errors.ErrUnsupported)
	}
	if !(x > 0) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("mfer: resolution %v µV", x)
	}
	return x, nil
}

// sampleSize is the byte size of each data type.
var sampleSize = [...]int{0: 2, 1: 2, 2: 4, 3: 1, 4: 2, 5: 1, 6: 4, 7: 4, 8: 8}

// value reads one sample of data type t from v.
func (d *decoder) value(v []byte, t int) (float64, error) {
	if t < 0 || t >= len(sampleSize) || len(v) < sampleSize[t] {
		return 0, fmt.Errorf("%d bytes for data type %d", len(v), t)
	}
	o := d.order
	switch t {
	case 0:
		return float64(int16(o.Uint16(v))), nil
	case 1, 4:
		return float64(o.Uint16(v)), nil
	case 2:
		return float64(int32(o.Uint32(v))), nil
	case 3:
		return float64(v[0]), nil
	case 5:
		return float64(int8(v[0])), nil
	case 6:
		return float64(o.Uint32(v)), nil
	case 7:
		return float64(math.Float32frombits(o.Uint32(v))), nil
	}
	return math.Float64frombits(o.Uint64(v)), nil
}

// leadName reads the lead of a channel: a 1- or 2-byte code, or text. Two
// printable ASCII bytes ("V5") are text: as a code they would exceed 8000,
// far beyond the lead table.
func (d *decoder) leadName(v []byte) string {
	printable := len(v) == 2 && v[0] >= 0x20 && v[0] < 0x7f && v[1] >= 0x20 && v[1] < 0x7f
	if (len(v) == 1 || len(v) == 2) && !printable {
		code, _ := d.uint(v)
		if n, ok := ecg.LeadFromCode(int(code)); ok {
			return n
		}
		return fmt.Sprintf("lead %d", code)
	}
	return ecg.NormalizeLeadName(d.text(v))
}

// text decodes a string: UTF-8 when the file says so or the bytes are
// valid UTF-8, else ISO 8859-1.
func (d *decoder) text(v []byte) string {
	v = []byte(strings.TrimRight(string(v), "\x00"))
	if d.utf8 || utf8.Valid(v) {
		return strings.TrimSpace(strings.ToValidUTF8(string(v), "\uFFFD"))
	}
	r := make([]rune, len(v))
	for i, c := range v {
		r[i] = rune(c)
	}
	return strings.TrimSpace(string(r))
}

var cst = time.FixedZone("CST", 8*3600)

// age reads years (1 byte), days (2 bytes), birth year (2 bytes), month,
// day.
func (d *decoder) age(v []byte) {
	if len(v) >= 1 && v[0] != 0xff {
		d.rec.Patient.Age = ecg.Quantity{Value: float64(v[0]), Unit: "a"}
	}
	if len(v) >= 7 {
		y, _ := d.uint(v[3:5])
		if y > 0 && v[5] >= 1 && v[5] <= 12 && v[6] >= 1 && v[6] <= 31 {
			d.rec.Patient.BirthDate = time.Date(int(y), time.Month(v[5]), int(v[6]), 0, 0, 0, 0, cst)
		}
	}
}

// when reads year (2 bytes), month, day, hour, minute, second,
// millisecond (2 bytes), microsecond (2 bytes).
func (d *decoder) when(v []byte) time.Time {
	if len(v) < 7 {
		return time.Time{}
	}
	y, _ := d.uint(v[:2])
	if y == 0 || v[2] < 1 || v[2] > 12 || v[3] < 1 || v[3] > 31 || v[4] > 23 || v[5] > 59 || v[6] > 60 {
		return time.Time{}
	}
	ns := 0
	if len(v) >= 9 {
		ms, _ := d.uint(v[7:9])
		ns += int(ms%1000) * 1e6
	}
	if len(v) >= 11 {
		us, _ := d.uint(v[9:11])
		ns += int(us%1000) * 1e3
	}
	return time.Date(int(y), time.Month(v[2]), int(v[3]), int(v[4]), int(v[5]), int(v[6]), ns, cst)
}

// record lays the waveform data out into leads.
func (d *decoder) record() (*ecg.Record, error) {
	rec := d.rec
	if d.rate == 0 {
		return nil, errors.New("mfer: no sampling rate (tag 0x0B)")
	}
	if len(d.data) == 0 {
		return nil, errors.New("mfer: no waveform data (tag 0x1E)")
	}
	rec.SampleRate = d.rate
	chans := make([]channel, d.nChan)
	frame := 0
	for i := range chans {
		chans[i] = d.def
		chans[i].lead = ""
		if c, ok := d.chans[i]; ok {
			chans[i] = *c
		}
		if math.IsNaN(chans[i].resolution) {
			return nil, fmt.Errorf("mfer: channel %d: no resolution (tag 0x0C)", i)
		}
		frame += chans[i].blockLen * sampleSize[chans[i].dataType]
		if frame > MaxSize {
			return nil, fmt.Errorf("mfer: %w: %d bytes a sequence", ecg.ErrTooLarge, frame)
		}
	}
	nSeq := len(d.data) / frame
	if d.nSeq > 0 {
		if d.nSeq > nSeq {
			return nil, fmt.Errorf("mfer: %d sequences declared, data for %d", d.nSeq, nSeq)
		}
		nSeq = d.nSeq
	}
	if nSeq == 0 {
		return nil, fmt.Errorf("mfer: %d bytes of data is less than one sequence (%d bytes)", len(d.data), frame)
	}
	total := 0
	for _, c := range chans {
		total += nSeq * c.blockLen
	}
	if total > maxSamples {
		return nil, fmt.Errorf("mfer: %w: %d samples", ecg.ErrTooLarge, total)
	}
	rec.Leads = make([]ecg.Lead, len(chans))
	for i, c := range chans {
		name := c.lead
		if name == "" {
			name = fmt.Sprintf("channel %d", i+1)
		}
		rec.Leads[i] = ecg.Lead{Name: name, Samples: make([]float64, 0, nSeq*c.blockLen)}
	}
	off := 0
	inNull := make([]bool, len(chans))
	for range nSeq {
		for i, c := range chans {
			size := sampleSize[c.dataType]
			for range c.blockLen {
				x, _ := d.value(d.data[off:], c.dataType)
				off += size
				null := c.null != nil && x == *c.null
				if null && !inNull[i] && len(rec.Annotations) < maxAnnotations {
					n := len(rec.Leads[i].Samples)
					rec.Annotations = append(rec.Annotations, ecg.Annotation{Sample: n, Time: sampleTime(n, d.rate), Code: "mfer-null", Text: "null values start", Channel: i})
				}
				inNull[i] = null
				v := (x - c.offset) * c.resolution
				if null || math.IsNaN(v) || math.IsInf(v, 0) {
					v = 0
				}
				rec.Leads[i].Samples = append(rec.Leads[i].Samples, v)
			}
		}
	}
	return rec, nil
}
