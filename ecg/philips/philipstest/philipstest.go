// Package philipstest writes Philips Sierra ECG XML with XLI compression,
// for tests only: there is no Philips file in the corpus, so the reader's
// test vectors are made by this encoder, written from the same format
// description as the reader (see package philips) but independently of it.
package philipstest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"math"
	"strings"

	"yigong/ecg"
)

// LZW compresses src with 10-bit codes packed most significant bit first,
// a dictionary of the 256 bytes plus learnt strings up to code 1022 and
// the end code 1023, padded with zero bits to a whole byte.
func LZW(src []byte) []byte {
	var (
		out   []byte
		acc   uint32
		nbits int
	)
	emit := func(code int) {
		acc = acc<<10 | uint32(code)
		nbits += 10
		for nbits >= 8 {
			nbits -= 8
			out = append(out, byte(acc>>nbits))
		}
	}
	dict := map[int]int{} // prefix code<<8 | byte → code
	next := 256
	w := -1
	for _, c := range src {
		if w < 0 {
			w = int(c)
			continue
		}
		if code, ok := dict[w<<8|int(c)]; ok {
			w = code
			continue
		}
		emit(w)
		if next <= 1022 {
			dict[w<<8|int(c)] = next
			next++
		}
		w = int(c)
	}
	if w >= 0 {
		emit(w)
	}
	emit(1023)
	if nbits > 0 {
		out = append(out, byte(acc<<(8-nbits)))
	}
	return out
}

// Chunk is one lead's XLI chunk: the header, then the LZW data of the
// high bytes and the low bytes of the second-difference terms.
func Chunk(s []int32) ([]byte, error) {
	n := len(s)
	if n < 3 {
		return nil, fmt.Errorf("philipstest: %d samples, need 3", n)
	}
	v := make([]int32, n)
	v[0], v[1] = s[0], s[1]
	first := 2*s[1] - s[0] - s[2]
	for i := 2; i < n-1; i++ {
		v[i] = 2*s[i] - s[i-1] - s[i+1] + 64
	}
	v[n-1] = 64
	for i, x := range append(v, first) {
		if x < math.MinInt16 || x > math.MaxInt16 {
			return nil, fmt.Errorf("philipstest: term %d = %d does not fit 16 bits", i, x)
		}
	}
	raw := make([]byte, 2*n)
	for i, x := range v {
		raw[i], raw[n+i] = byte(uint16(x)>>8), byte(x)
	}
	z := LZW(raw)
	hdr := binary.LittleEndian.AppendUint32(nil, uint32(len(z)))
	hdr = binary.LittleEndian.AppendUint16(hdr, 1)
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(int16(first)))
	return append(hdr, z...), nil
}

// XLI encodes leads (in resolution units); when the first six are I, II,
// III, aVR, aVL and aVF, leads III–aVF are stored as their corrections.
func XLI(names []string, leads [][]int32) ([]byte, error) {
	stored := make([][]int32, len(leads))
	for k, l := range leads {
		stored[k] = append([]int32(nil), l...)
	}
	if len(leads) >= 6 && strings.Join(names[:6], " ") == "I II III aVR aVL aVF" {
		i, ii, iii, avr, avl, avf := leads[0], leads[1], leads[2], leads[3], leads[4], leads[5]
		for k := range stored[2] {
			stored[2][k] = ii[k] - i[k] - iii[k]
			stored[3][k] = -avr[k] - (i[k]+ii[k])>>1
			stored[4][k] = (i[k]-iii[k])>>1 - avl[k]
			stored[5][k] = (ii[k]+iii[k])>>1 - avf[k]
		}
	}
	var out []byte
	for k, l := range stored {
		c, err := Chunk(l)
		if err != nil {
			return nil, fmt.Errorf("lead %s: %w", names[k], err)
		}
		out = append(out, c...)
	}
	return out, nil
}

// Options fill the parts of the document the record does not hold.
type Options struct {
	// Version is the documentversion: 1.03 (lead names implied by the
	// acquisition type) or 1.04 / 1.04.01 (leadlabels attribute).
	Version string
	// Resolution is µV per unit; every sample must be a multiple of it.
	Resolution float64
	// Encoding, when not UTF-8, is declared in the XML prolog and the
	// document is returned in it by Encode's caller (Encode itself always
	// writes UTF-8 text).
	Encoding string
	// Statements are interpretation statements (left, right pairs).
	Statements [][2]string
	// Measurements are global measurements by Sierra element name
	// (heartrate, meanprint, meanqrsdur, meanqtint, meanqtc, ...).
	Measurements map[string]string
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Encode writes rec as a Sierra ECG XML document with XLI-compressed
// rhythm data (the duration is the number of samples of the first lead at
// the record's rate, which must give whole milliseconds).
func Encode(rec *ecg.Record, o Options) ([]byte, error) {
	if o.Resolution <= 0 {
		return nil, fmt.Errorf("philipstest: resolution %v", o.Resolution)
	}
	if o.Version == "" {
		o.Version = "1.04"
	}
	names := make([]string, len(rec.Leads))
	leads := make([][]int32, len(rec.Leads))
	n := len(rec.Leads[0].Samples)
	for k, l := range rec.Leads {
		names[k] = l.Name
		if len(l.Samples) != n {
			return nil, fmt.Errorf("philipstest: lead %s has %d samples, lead %s %d", l.Name, len(l.Samples), names[0], n)
		}
		leads[k] = make([]int32, n)
		for i, s := range l.Samples {
			v := math.Round(s / o.Resolution)
			if math.Abs(v*o.Resolution-s) > 1e-9 {
				return nil, fmt.Errorf("philipstest: lead %s sample %d = %v µV is not a multiple of %v", l.Name, i, s, o.Resolution)
			}
			leads[k][i] = int32(v)
		}
	}
	data, err := XLI(names, leads)
	if err != nil {
		return nil, err
	}
	ms := float64(n) * 1000 / rec.SampleRate
	if ms != math.Trunc(ms) {
		return nil, fmt.Errorf("philipstest: %d samples at %v Hz is not whole milliseconds", n, rec.SampleRate)
	}
	enc := o.Encoding
	if enc == "" {
		enc = "UTF-8"
	}
	var b strings.Builder
	p := rec.Patient
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="%s"?>
<restingecgdata xmlns="http://www3.medical.philips.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" status="Not yet determined" lang="zh">
  <documentinfo><documentname>test.xml</documentname><documenttype>SierraECG</documenttype><documentversion>%s</documentversion></documentinfo>
  <reportinfo date="%s" time="%s"><reporttype>STD-12</reporttype></reportinfo>
  <dataacquisition date="%s" time="%s" statflag="False">
    <machine machineid="%s" detaildescription="">%s</machine>
    <acquirer><operatorid/><departmentid>ECG</departmentid><institutionname>%s</institutionname></acquirer>
    <signalcharacteristics>
      <samplingrate>%g</samplingrate><signalresolution>%g</signalresolution><signalbandwidth>0.05-150</signalbandwidth>
      <acquisitiontype>STD-12</acquisitiontype><bitspersample>16</bitspersample><signaloffset>0</signaloffset><signalsigned>True</signalsigned>
      <numberchannelsallocated>%d</numberchannelsallocated><numberchannelsvalid>%d</numberchannelsvalid><leadset>STD-12</leadset>
    </signalcharacteristics>
  </dataacquisition>
  <patient criteriaversionforpatientdata="Custom"><generalpatientdata>
    <patientid>%s</patientid><name><lastname>%s</lastname><firstname>%s</firstname></name>
    <age><years>%g</years></age><sex>%s</sex>
  </generalpatientdata></patient>
`, enc, esc(o.Version),
		rec.Start.Format("2006-01-02"), rec.Start.Format("15:04:05"), rec.Start.Format("2006-01-02"), rec.Start.Format("15:04:05"),
		esc(rec.Device.Serial), esc(rec.Device.Model), esc(rec.Device.Institution),
		rec.SampleRate, o.Resolution, len(leads), len(leads),
		esc(p.ID), esc(p.FamilyName), esc(p.GivenName), p.Age.Value, map[ecg.Sex]string{ecg.SexMale: "Male", ecg.SexFemale: "Female"}[p.Sex])
	b.WriteString("  <measurements><globalmeasurements>")
	for _, k := range []string{"atrialrate", "meanventrate", "meanprint", "meanqrsdur", "meanqtint", "meanqtc", "pfrontaxis", "qrsfrontaxis", "tfrontaxis"} {
		if v, ok := o.Measurements[k]; ok {
			fmt.Fprintf(&b, "<%s>%s</%s>", k, esc(v), k)
		}
	}
	b.WriteString("</globalmeasurements></measurements>\n  <interpretations><interpretation><interpretationmeasurements>")
	if v, ok := o.Measurements["heartrate"]; ok {
		fmt.Fprintf(&b, "<heartrate>%s</heartrate>", esc(v))
	}
	b.WriteString("</interpretationmeasurements>\n")
	for _, s := range o.Statements {
		fmt.Fprintf(&b, "    <statement><statementcode/><leftstatement>%s</leftstatement><rightstatement>%s</rightstatement></statement>\n", esc(s[0]), esc(s[1]))
	}
	b.WriteString("  </interpretation></interpretations>\n  <waveforms>\n")
	labels := ""
	if o.Version != "1.03" {
		labels = fmt.Sprintf(` leadlabels="%s" numberofleads="%d" samplespersecond="%g"`, esc(strings.Join(names, " ")), len(names), rec.SampleRate)
	}
	fmt.Fprintf(&b, `    <parsedwaveforms compressflag="True" compressmethod="XLI" filterflag="True" dataencoding="Base64" durationperchannel="%g" nbitspersample="16"%s>`, ms, labels)
	e := base64.StdEncoding.EncodeToString(data)
	for len(e) > 76 {
		b.WriteString(e[:76] + "\n")
		e = e[76:]
	}
	b.WriteString(e + "</parsedwaveforms>\n  </waveforms>\n</restingecgdata>\n")
	return []byte(b.String()), nil
}
