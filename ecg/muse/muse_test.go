package muse

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"yigong/ecg"
)

// leadXML is one LeadData element with the int16 samples base64-encoded,
// wrapped at 76 characters as MUSE writes it.
func leadXML(id string, upb string, units string, samples []int16) string {
	var raw []byte
	for _, v := range samples {
		raw = binary.LittleEndian.AppendUint16(raw, uint16(v))
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	var wrapped strings.Builder
	for len(enc) > 76 {
		wrapped.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	wrapped.WriteString(enc)
	return fmt.Sprintf(`<LeadData><LeadByteCountTotal>%d</LeadByteCountTotal><LeadSampleCountTotal>%d</LeadSampleCountTotal>
<LeadAmplitudeUnitsPerBit>%s</LeadAmplitudeUnitsPerBit><LeadAmplitudeUnits>%s</LeadAmplitudeUnits><LeadID>%s</LeadID>
<LeadSampleSize>2</LeadSampleSize><LeadDataCRC32>0</LeadDataCRC32><WaveFormData>%s</WaveFormData></LeadData>
`, len(raw), len(samples), upb, units, id, wrapped.String())
}

var stored = []string{"I", "II", "V1", "V2", "V3", "V4", "V5", "V6"}

// samplesFor gives lead k of the 8 stored leads: 100 samples of a ramp.
func samplesFor(k int) []int16 {
	s := make([]int16, 100)
	for i := range s {
		s[i] = int16((k + 1) * (i - 50))
	}
	return s
}

func museDoc(decl, lastName string) string {
	var rhythm, median strings.Builder
	for k, id := range stored {
		rhythm.WriteString(leadXML(id, "4.88", "MICROVOLTS", samplesFor(k)))
		median.WriteString(leadXML(id, "0.00488", "MILLIVOLTS", samplesFor(k)[:60]))
	}
	return decl + `<!DOCTYPE RestingECG SYSTEM "restecg.dtd">
<RestingECG>
<MuseInfo><MuseVersion>9.0.9.18167</MuseVersion></MuseInfo>
<PatientDemographics><PatientID>0012345</PatientID><PatientAge>36</PatientAge><AgeUnits>YEARS</AgeUnits>
<DateofBirth>03-07-1990</DateofBirth><Gender>FEMALE</Gender><PatientLastName>` + lastName + `</PatientLastName>
<PatientFirstName>Anna</PatientFirstName><HeightCM>165</HeightCM><WeightKG>58</WeightKG></PatientDemographics>
<TestDemographics><DataType>RESTING</DataType><Site>1</Site><SiteName>County Hospital</SiteName>
<AcquisitionDevice>MAC55</AcquisitionDevice><AcquisitionSoftwareVersion>009C</AcquisitionSoftwareVersion>
<AcquisitionTime>09:30:15</AcquisitionTime><AcquisitionDate>11-21-2026</AcquisitionDate></TestDemographics>
<RestingECGMeasurements><VentricularRate>61</VentricularRate><AtrialRate>61</AtrialRate><PRInterval>166</PRInterval>
<QRSDuration>92</QRSDuration><QTInterval>400</QTInterval><QTCorrected>402</QTCorrected><PAxis>55</PAxis><RAxis>-12</RAxis>
<TAxis>41</TAxis><QRSCount>10</QRSCount><QOnset>220</QOnset><QOffset>266</QOffset><POnset>137</POnset><POffset>196</POffset>
<TOffset>420</TOffset><ECGSampleBase>500</ECGSampleBase><ECGSampleExponent>0</ECGSampleExponent></RestingECGMeasurements>
<Diagnosis><Modality>RESTING</Modality><DiagnosisStatement><StmtFlag>ENDSLINE</StmtFlag><StmtText>Normal sinus rhythm</StmtText></DiagnosisStatement>
<DiagnosisStatement><StmtText>Normal ECG</StmtText></DiagnosisStatement></Diagnosis>
<Waveform><WaveformType>Median</WaveformType><WaveformStartTime>0</WaveformStartTime><NumberofLeads>8</NumberofLeads>
<SampleType>CONTINUOUS_SAMPLES</SampleType><SampleBase>500</SampleBase><SampleExponent>0</SampleExponent>
` + median.String() + `</Waveform>
<Waveform><WaveformType>Rhythm</WaveformType><WaveformStartTime>0</WaveformStartTime><NumberofLeads>8</NumberofLeads>
<SampleType>CONTINUOUS_SAMPLES</SampleType><SampleBase>50</SampleBase><SampleExponent>1</SampleExponent>
` + rhythm.String() + `</Waveform>
</RestingECG>
`
}

func TestDecode(t *testing.T) {
	t.Parallel()
	rec, err := Decode([]byte(museDoc(`<?xml version="1.0" encoding="UTF-8"?>`+"\n", "Smith")))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Format != ecg.FormatMUSEXML || rec.SampleRate != 500 || rec.MedianSampleRate != 500 {
		t.Fatalf("format %v, rates %v %v", rec.Format, rec.SampleRate, rec.MedianSampleRate)
	}
	var names []string
	for _, l := range rec.Leads {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, " "); got != "I II III aVR aVL aVF V1 V2 V3 V4 V5 V6" {
		t.Fatalf("leads %s", got)
	}
	// Stored leads scale by 4.88 µV; derived leads follow the equations.
	at := func(name string, i int) float64 { return rec.Lead(name).Samples[i] }
	for i := range 100 {
		I, II := 4.88*float64(i-50), 4.88*2*float64(i-50)
		for _, c := range []struct {
			lead string
			want float64
		}{
			{"I", I}, {"II", II}, {"V6", 4.88 * 8 * float64(i-50)},
			{"III", II - I}, {"aVR", -(I + II) / 2}, {"aVL", I - II/2}, {"aVF", II - I/2},
		} {
			if got := at(c.lead, i); math.Abs(got-c.want) > 1e-9 {
				t.Fatalf("%s[%d] = %v µV, want %v", c.lead, i, got, c.want)
			}
		}
	}
	// The median is in millivolts per bit: 0.00488 mV = 4.88 µV.
	if got := rec.Median[1].Samples[10]; math.Abs(got-4.88*2*(10-50)) > 1e-9 || len(rec.Median[1].Samples) != 60 {
		t.Errorf("median II[10] = %v", got)
	}
	cst := time.FixedZone("CST", 8*3600)
	p := rec.Patient
	if p.ID != "0012345" || p.FamilyName != "Smith" || p.GivenName != "Anna" || p.Sex != ecg.SexFemale ||
		p.Age != (ecg.Quantity{Value: 36, Unit: "a"}) || !p.BirthDate.Equal(time.Date(1990, 3, 7, 0, 0, 0, 0, cst)) || p.HeightCM != 165 || p.WeightKG != 58 {
		t.Errorf("patient %+v", p)
	}
	if !rec.Start.Equal(time.Date(2026, 11, 21, 9, 30, 15, 0, cst)) {
		t.Errorf("start %v", rec.Start)
	}
	if rec.Device.Model != "MAC55" || rec.Device.Institution != "County Hospital" {
		t.Errorf("device %+v", rec.Device)
	}
	want := map[ecg.MeasurementName]float64{
		ecg.HeartRate: 61, ecg.PRInterval: 166, ecg.QRSDuration: 92, ecg.QTInterval: 400, ecg.QTc: 402,
		ecg.PAxis: 55, ecg.QRSAxis: -12, ecg.TAxis: 41, ecg.QRSOnset: 440, ecg.TOffset: 840,
	}
	for name, v := range want {
		m, ok := rec.Measurement(name)
		if !ok || m.Value != v {
			t.Errorf("%s = %+v, want %v", name, m, v)
		}
	}
	if m, _ := rec.Measurement(ecg.QTc); m.Method != ecg.UnknownQTcF {
		t.Errorf("QTc method %q", m.Method)
	}
	if strings.Join(rec.Statements, "|") != "Normal sinus rhythm|Normal ECG" {
		t.Errorf("statements %q", rec.Statements)
	}
}

func TestLatin1(t *testing.T) {
	t.Parallel()
	doc := museDoc(`<?xml version="1.0" encoding="ISO-8859-1"?>`+"\n", "M\xfcller")
	rec, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Patient.FamilyName != "Müller" {
		t.Errorf("family name %q", rec.Patient.FamilyName)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	good := museDoc("", "Smith")
	tests := []struct {
		name, doc, want string
		is              error
	}{
		{"not XML", "RestingECG", "parse XML", nil},
		{"other root", "<AnnotatedECG/>", "parse XML", nil},
		{"EBCDIC", `<?xml version="1.0" encoding="EBCDIC-US"?><RestingECG/>`, "EBCDIC", errors.ErrUnsupported},
		{"no rhythm", "<RestingECG/>", "no rhythm", nil},
		{"bad base64", strings.Replace(good, "<WaveFormData>", "<WaveFormData>!!", 1), "waveform data", nil},
		{"units", strings.Replace(good, "MICROVOLTS", "FURLONGS", 1), "amplitude units", nil},
		{"sample size", strings.Replace(good, "<LeadSampleSize>2<", "<LeadSampleSize>4<", 1), "sample size", errors.ErrUnsupported},
		{"rate", strings.Replace(good, "<SampleBase>50<", "<SampleBase>0<", 1), "sample base", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
