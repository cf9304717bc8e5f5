package dicomjson_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yigong/conformance/corpus"
	"yigong/dicom"
	"yigong/dicom/dicomjson"
	"yigong/dicom/part10"
)

func TestModel(t *testing.T) {
	t.Parallel()
	ds := dicom.New()
	_ = ds.SetStrings(dicom.TagSpecificCharacterSet, 0, "GB18030")
	_ = ds.SetStrings(dicom.TagPatientName, 0, "Wang^XiaoDong=王^小东=")
	_ = ds.SetStrings(dicom.TagInstanceNumber, 0, "7")
	_ = ds.SetStrings(dicom.NewTag(0x0028, 0x0030), 0, `0.5\1.`)
	_ = ds.SetInts(dicom.NewTag(0x0028, 0x0009), 0, int64(dicom.NewTag(0x0018, 0x1063)))
	_ = ds.SetInts(dicom.NewTag(0x0028, 0x0010), 0, 512)
	_ = ds.SetBytes(dicom.NewTag(0x0009, 0x1001), dicom.OB, []byte{1, 2, 3})
	_ = ds.SetBytes(dicom.TagPixelData, dicom.OW, []byte{1, 2, 3, 4})
	item := dicom.NewItem(ds)
	_ = item.SetStrings(dicom.NewTag(0x0008, 0x0100), 0, "X")
	ds.SetItems(dicom.NewTag(0x0008, 0x2218), item)
	b, err := dicomjson.Marshal(ds, &dicomjson.Options{
		BulkDataURI: func(path []dicom.Tag, e *dicom.Element) (string, bool) {
			return "http://wado/bulk/" + strings.Trim(e.Tag.String(), "()"), e.Tag == dicom.TagPixelData
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"00100010": `{"vr":"PN","Value":[{"Alphabetic":"Wang^XiaoDong","Ideographic":"王^小东"}]}`,
		"00200013": `{"vr":"IS","Value":[7]}`,
		"00280030": `{"vr":"DS","Value":[0.5,1]}`,
		"00280009": `{"vr":"AT","Value":["00181063"]}`,
		"00280010": `{"vr":"US","Value":[512]}`,
		"00091001": `{"vr":"OB","InlineBinary":"AQID"}`,
		"7FE00010": `{"vr":"OW","BulkDataURI":"http://wado/bulk/7FE0,0010"}`,
		"00082218": `{"vr":"SQ","Value":[{"00080100":{"vr":"SH","Value":["X"]}}]}`,
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	for k, w := range want {
		if string(got[k]) != w {
			t.Errorf("%s: got %s, want %s", k, got[k], w)
		}
	}
	back, err := dicomjson.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	pn, _ := back.PersonName(dicom.TagPatientName)
	if pn.Ideographic.Given != "小东" {
		t.Errorf("PN back: %+v", pn)
	}
	if e, _ := back.Get(dicom.TagPixelData); e.Bulk == nil || e.Bulk.URI == "" {
		t.Errorf("BulkDataURI lost")
	}
	if e, _ := back.Get(dicom.TagPatientName); !bytes.Contains(e.Raw, []byte{0xcd, 0xf5}) {
		t.Errorf("text not re-encoded in GB18030: % x", e.Raw)
	}
}

// TestCorpusRoundTrip: dataset → JSON → dataset → JSON gives the same JSON
// for every readable corpus file.
func TestCorpusRoundTrip(t *testing.T) {
	t.Parallel()
	dir := corpus.Path(t, "dicom")
	files, _ := filepath.Glob(filepath.Join(dir, "*.dcm"))
	more, _ := filepath.Glob(filepath.Join(dir, "charset", "*.dcm"))
	opts := &dicomjson.Options{BulkDataURI: func(_ []dicom.Tag, e *dicom.Element) (string, bool) {
		return "bulk:" + e.Tag.String(), e.Fragments != nil || e.Bulk != nil
	}}
	for _, p := range append(files, more...) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			f, err := part10.Read(bytes.NewReader(data), nil)
			if err != nil {
				t.Skipf("unreadable on purpose: %v", err)
			}
			j1, err := dicomjson.Marshal(f.Dataset, opts)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := dicomjson.Unmarshal(j1)
			if err != nil {
				t.Fatal(err)
			}
			j2, err := dicomjson.Marshal(ds, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(j1, j2) {
				t.Errorf("JSON differs after round trip:\n%s\n%s", j1, j2)
			}
		})
	}
}
