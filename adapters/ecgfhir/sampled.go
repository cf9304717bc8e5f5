package ecgfhir

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"yigong/fhir/r4"
)

// resolutions are the sample steps, in µV, that SampledData tries from the
// coarsest: every cart format stores integers times one of them (SCP-ECG
// and DICOM 2.5 or 5 µV, aECG 1 or 2.5 µV, MIT-BIH 5 µV at 200 units/mV).
var resolutions = []float64{1000, 500, 250, 200, 100, 50, 25, 20, 10, 5, 2.5, 2, 1, 0.5, 0.25, 0.2, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001}

// Resolution returns the coarsest step of resolutions of which every
// sample (µV) is an integer multiple, and false when there is none (the
// samples are then not integers of any usual resolution).
func Resolution(samples []float64) (float64, bool) {
	for _, r := range resolutions {
		if onGrid(samples, r) {
			return r, true
		}
	}
	return 0, false
}

func onGrid(samples []float64, step float64) bool {
	for _, v := range samples {
		q := v / step
		if math.Abs(q-math.Round(q)) > 1e-6 || math.Abs(q) > 1<<53 {
			return false
		}
	}
	return true
}

// SampledData encodes one lead (µV) as FHIR SampledData: origin 0 µV
// (UCUM "uV"), factor the lead's resolution (see [Resolution]),
// dimensions 1 and data the space-separated integers; samples of no usual
// resolution are written as decimals with factor 1. The period is left to
// the caller. The same samples always give the same data string, whatever
// format they were read from.
func SampledData(samples []float64) *r4.SampledData {
	sd := &r4.SampledData{
		Origin:     &r4.Quantity{Value: "0", Unit: "µV", System: SystemUCUM, Code: "uV"},
		Dimensions: r4.Int(1),
	}
	buf := make([]byte, 0, len(samples)*5)
	step, ok := Resolution(samples)
	if !ok {
		sd.Factor = "1"
		for i, v := range samples {
			if i > 0 {
				buf = append(buf, ' ')
			}
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
		}
		sd.Data = string(buf)
		return sd
	}
	sd.Factor = json.Number(decimalString(step))
	for i, v := range samples {
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = strconv.AppendInt(buf, int64(math.Round(v/step)), 10)
	}
	sd.Data = string(buf)
	return sd
}

// namespaceECG is the UUID namespace of entry fullUrls (a fixed random
// UUID; the name-based UUIDs are version 5, RFC 9562 §5.5).
var namespaceECG = [16]byte{0x3c, 0x91, 0x5e, 0x07, 0xa2, 0x4b, 0x4f, 0x18, 0x8d, 0x61, 0x0b, 0xc4, 0x7e, 0x29, 0x53, 0xfa}

// entryUUID returns the urn:uuid fullUrl of a part of the original with
// digest key: the same file always gives the same URNs.
func entryUUID(key, part string) string {
	h := sha1.New()
	h.Write(namespaceECG[:])
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(part))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return "urn:uuid:" + string(b[:])
}

// residentID returns the normalised GB 11643 resident ID when s is an
// 18-character one whose ISO 7064 MOD 11-2 check character is right
// (GB 11643-1999 §7); a cart's free-text patient ID is taken for one only
// then.
func residentID(s string) (string, bool) {
	if len(s) != 18 {
		return "", false
	}
	s = strings.ToUpper(s)
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
		sum += int(s[i]-'0') * weights[i]
	}
	if "10X98765432"[sum%11] != s[17] {
		return "", false
	}
	return s, true
}
