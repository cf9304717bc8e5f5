package muse

import "testing"

// FuzzRead checks that no input makes the reader panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte(museDoc("", "Smith")))
	f.Add([]byte(`<RestingECG><Waveform><WaveformType>Rhythm</WaveformType><SampleBase>500</SampleBase><LeadData><LeadID>I</LeadID><LeadAmplitudeUnitsPerBit>1</LeadAmplitudeUnitsPerBit><LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><WaveFormData>AAA=</WaveFormData></LeadData></Waveform></RestingECG>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Decode(b)
	})
}
