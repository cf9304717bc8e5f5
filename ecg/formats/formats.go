package formats

import (
	"io"

	"yigong/ecg"
	"yigong/ecg/aecg"
	"yigong/ecg/dicomwave"
	"yigong/ecg/ishne"
	"yigong/ecg/mfer"
	"yigong/ecg/muse"
	"yigong/ecg/philips"
	"yigong/ecg/scpecg"
)

// Readers returns a new map of the built-in single-file readers.
func Readers() ecg.Readers {
	return ecg.Readers{
		ecg.FormatSCPECG:    scpecg.Decode,
		ecg.FormatAECG:      aecg.Decode,
		ecg.FormatDICOM:     dicomwave.Decode,
		ecg.FormatMUSEXML:   muse.Decode,
		ecg.FormatISHNE:     ishne.Decode,
		ecg.FormatMFER:      mfer.Decode,
		ecg.FormatSierraXML: philips.Decode,
	}
}

// Decode sniffs the format of the file in r and decodes it with the
// built-in readers.
func Decode(r io.Reader) (*ecg.Record, error) {
	return ecg.Decode(r, Readers())
}
