package ecg_test

import (
	"errors"
	"strings"
	"testing"

	"yigong/ecg"
)

func TestSniff(t *testing.T) {
	dicm := make([]byte, 132)
	copy(dicm[128:], "DICM")
	scp := make([]byte, 22)
	copy(scp[16:], "SCPECG")
	tests := []struct {
		name string
		in   []byte
		want ecg.Format
	}{
		{"dicom", dicm, ecg.FormatDICOM},
		{"scp", scp, ecg.FormatSCPECG},
		{"aecg", []byte(`<?xml version="1.0"?><!-- c --><AnnotatedECG xmlns="urn:hl7-org:v3">`), ecg.FormatAECG},
		{"muse", []byte("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<RestingECG>"), ecg.FormatMUSEXML},
		{"sierra", []byte(`<restingecgdata>`), ecg.FormatSierraXML},
		{"ishne", []byte("ISHNE1.0xxxx"), ecg.FormatISHNE},
		{"wfdb", []byte("# comment\n100 2 360 650000\n"), ecg.FormatWFDB},
		{"mfer", append([]byte("@ MFER synthetic preamble          "), 1, 1, 1), ecg.FormatMFER},
		{"mfer short", []byte("@ "), ecg.FormatUnknown},
		{"other xml", []byte(`<html>`), ecg.FormatUnknown},
		{"empty", nil, ecg.FormatUnknown},
		{"text", []byte("hello world"), ecg.FormatUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ecg.Sniff(tt.in); got != tt.want {
				t.Errorf("Sniff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"unknown", "hello", ecg.ErrUnknownFormat},
		{"no reader", "<RestingECG/>", errors.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ecg.Decode(strings.NewReader(tt.in), ecg.Readers{})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLeadNames(t *testing.T) {
	tests := []struct{ in, want string }{
		{"MDC_ECG_LEAD_AVR", "aVR"}, {"MDC_ECG_LEAD_I", "I"}, {"MDC_ECG_LEAD_V4R", "V4R"},
		{"avl", "aVL"}, {"Lead III", "III"}, {"MLII", "MLII"}, {"V5", "V5"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ecg.NormalizeLeadName(tt.in); got != tt.want {
				t.Errorf("NormalizeLeadName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
