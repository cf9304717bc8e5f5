package philips

import (
	"testing"

	"yigong/ecg/philips/philipstest"
)

// FuzzDecodeXLI checks that no XLI stream makes the decoder panic or
// return leads longer than asked.
func FuzzDecodeXLI(f *testing.F) {
	c, _ := philipstest.Chunk([]int32{5, -3, 8, 100, 90, 80, 0, 1})
	f.Add(c, uint16(8))
	f.Add([]byte{4, 0, 0, 0, 1, 0, 0, 0, 0x10, 0x50, 0x0F, 0xFC}, uint16(2))
	f.Fuzz(func(t *testing.T, b []byte, n uint16) {
		leads, err := DecodeXLI(b, int(n), 16)
		if err != nil {
			return
		}
		for _, l := range leads {
			if len(l) > int(n) {
				t.Fatalf("lead of %d samples, asked %d", len(l), n)
			}
		}
	})
}

// FuzzDecode checks that no document makes the reader panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`<restingecgdata><documentinfo><documentversion>1.04</documentversion></documentinfo><dataacquisition><signalcharacteristics><samplingrate>500</samplingrate><signalresolution>5</signalresolution></signalcharacteristics></dataacquisition><waveforms><parsedwaveforms compressmethod="XLI" dataencoding="Base64" durationperchannel="10" leadlabels="I">CAAAAAEAAAAQUA/8</parsedwaveforms></waveforms></restingecgdata>`))
	f.Add([]byte(`<restingecgdata><dataacquisition><signalcharacteristics><samplingrate>500</samplingrate></signalcharacteristics></dataacquisition><waveforms><parsedwaveforms dataencoding="Base64" durationperchannel="4">AQACAAMABAA=</parsedwaveforms><repbeats samplespersec="1000" resolution="1"><repbeat leadname="I">AQA=</repbeat></repbeats></waveforms></restingecgdata>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Decode(b)
	})
}
