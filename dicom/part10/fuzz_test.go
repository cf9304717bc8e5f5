package part10_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/dicom"
	"yigong/dicom/part10"
)

// FuzzRead feeds arbitrary bytes to the reader: it must never panic or
// over-allocate, and what it reads must write and read back.
func FuzzRead(f *testing.F) {
	if dir, ok := corpus.Locate(); ok {
		files, _ := filepath.Glob(filepath.Join(dir, "dicom", "*.dcm"))
		more, _ := filepath.Glob(filepath.Join(dir, "dicom", "charset", "*.dcm"))
		for _, p := range append(files, more...) {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("DICM"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := &part10.Options{MaxValueLength: 1 << 20, MaxInflatedLength: 4 << 20}
		file, err := part10.Read(bytes.NewReader(data), opts)
		if err != nil {
			return
		}
		_ = file.Dataset.String()
		var buf bytes.Buffer
		if err := part10.Write(&buf, file); err != nil {
			return // e.g. values that do not fit the target syntax
		}
		if _, err := part10.Read(bytes.NewReader(buf.Bytes()), opts); err != nil {
			t.Fatalf("re-read of written file failed: %v", err)
		}
	})
}

func loadCT(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(corpus.Path(b, "dicom", "CT_small.dcm"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkRead reads a whole CT image (39 KiB, explicit VR LE).
func BenchmarkRead(b *testing.B) {
	data := loadCT(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := part10.Read(bytes.NewReader(data), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadIndex reads only what indexing needs: it stops before group
// 0028, so nothing of the image is read, and decodes the index tags.
func BenchmarkReadIndex(b *testing.B) {
	data := loadCT(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	opts := &part10.Options{StopAt: dicom.NewTag(0x0028, 0x0000)}
	tags := []dicom.Tag{dicom.TagPatientID, dicom.TagPatientName, dicom.TagStudyInstanceUID,
		dicom.TagSeriesInstanceUID, dicom.TagSOPInstanceUID, dicom.TagSOPClassUID, dicom.TagModality, dicom.TagStudyDate}
	for b.Loop() {
		f, err := part10.Read(bytes.NewReader(data), opts)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range tags {
			if f.Dataset.Text(t) == "" {
				b.Fatalf("%s empty", t)
			}
		}
	}
}

// BenchmarkWrite writes the CT image back in explicit VR little endian.
func BenchmarkWrite(b *testing.B) {
	data := loadCT(b)
	f, err := part10.Read(bytes.NewReader(data), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := part10.Write(&buf, f); err != nil {
			b.Fatal(err)
		}
	}
}
