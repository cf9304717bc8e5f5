package net_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"yigong/conformance/peer"
	"yigong/dicom"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/query"
	"yigong/dicom/uid"
)

// findscuResponses runs findscu with -X and returns the response data sets.
func findscuResponses(t *testing.T, host string, port int, args ...string) []*dicom.Dataset {
	t.Helper()
	findscu := peer.Require(t, "findscu")
	dir := t.TempDir()
	all := append([]string{"-X", "-od", dir, "-aec", "YIGONG"}, args...)
	all = append(all, host, strconv.Itoa(port))
	run(t, findscu, all...)
	names, _ := filepath.Glob(filepath.Join(dir, "rsp*.dcm"))
	sort.Strings(names)
	var out []*dicom.Dataset
	for _, n := range names {
		fh, err := os.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		f, err := part10.Read(fh, nil)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, f.Dataset)
	}
	return out
}

// expected counts the distinct unique keys of level among the archive
// entries matching q.
func expected(arch []archived, level string, keys map[dicom.Tag]string) map[string]bool {
	q := dicom.New()
	_ = q.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, "ISO_IR 192")
	for tag, v := range keys {
		_ = q.SetStrings(tag, 0, v)
	}
	want := map[string]bool{}
	for _, a := range arch {
		if query.Match(q, a.ds, &query.Options{FoldCase: true}) {
			want[a.ds.Text(levelKey(level))] = true
		}
	}
	return want
}

func TestFindscu(t *testing.T) {
	t.Parallel()
	arch := loadArchive(t)
	host, port := startServer(t, &dnet.Server{AETitle: "YIGONG", Find: archiveFind(arch)})
	ct := arch[0]
	for _, a := range arch {
		if filepath.Base(a.path) == "CT_small.dcm" {
			ct = a
		}
	}
	study, series := ct.ds.Text(dicom.TagStudyInstanceUID), ct.ds.Text(dicom.TagSeriesInstanceUID)
	tests := []struct {
		name  string
		model string
		level string
		match map[dicom.Tag]string // matching keys
		ret   []string             // extra return keys
		min   int
	}{
		{"patient root, all patients", "-P", "PATIENT", nil, []string{"PatientName", "PatientID"}, 5},
		{"patient root, 王* via ideographic group", "-P", "PATIENT", map[dicom.Tag]string{dicom.TagPatientName: "王*"}, []string{"PatientID"}, 2},
		{"patient root, alphabetic case-folded", "-P", "PATIENT", map[dicom.Tag]string{dicom.TagPatientName: "wang^xiao*"}, []string{"PatientID"}, 2},
		{"study root, all studies", "-S", "STUDY", nil, []string{"StudyInstanceUID", "StudyDate", "PatientName"}, 5},
		{"study root, date range", "-S", "STUDY", map[dicom.Tag]string{dicom.TagStudyDate: "20040101-20041231"}, []string{"StudyInstanceUID"}, 1},
		{"study root, series of CT", "-S", "SERIES", map[dicom.Tag]string{dicom.TagStudyInstanceUID: study}, []string{"SeriesInstanceUID", "Modality"}, 1},
		{"study root, images of CT series", "-S", "IMAGE", map[dicom.Tag]string{dicom.TagStudyInstanceUID: study, dicom.TagSeriesInstanceUID: series}, []string{"SOPInstanceUID"}, 1},
		{"patient root, image by UID list", "-P", "IMAGE", map[dicom.Tag]string{dicom.TagPatientID: ct.ds.Text(dicom.TagPatientID), dicom.TagStudyInstanceUID: study, dicom.TagSeriesInstanceUID: series, dicom.TagSOPInstanceUID: "1.2.3\\" + ct.inst.SOPInstanceUID}, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{tc.model, "-k", "QueryRetrieveLevel=" + tc.level, "-k", "SpecificCharacterSet=ISO_IR 192"}
			for tag, v := range tc.match {
				args = append(args, "-k", dicom.Keyword(tag)+"="+v)
			}
			for _, k := range tc.ret {
				args = append(args, "-k", k)
			}
			args = append(args, "-k", dicom.Keyword(levelKey(tc.level)))
			got := findscuResponses(t, host, port, args...)
			want := expected(arch, tc.level, tc.match)
			if len(want) < tc.min {
				t.Fatalf("test corpus gives %d expected matches, want at least %d", len(want), tc.min)
			}
			have := map[string]bool{}
			for _, ds := range got {
				have[ds.Text(levelKey(tc.level))] = true
				if ds.Text(dicom.NewTag(0x0008, 0x0052)) != tc.level {
					t.Errorf("response level %q", ds.Text(dicom.NewTag(0x0008, 0x0052)))
				}
			}
			if len(got) != len(want) || len(have) != len(want) {
				t.Fatalf("got %d responses (%v), want %d (%v)", len(got), have, len(want), want)
			}
			for k := range want {
				if !have[k] {
					t.Errorf("missing %s", k)
				}
			}
			if tc.match[dicom.TagPatientName] == "王*" {
				for _, ds := range got {
					pn, err := ds.PersonName(dicom.TagPatientName)
					if err != nil {
						t.Fatal(err)
					}
					if pn.Ideographic.Family != "王" {
						t.Errorf("PatientName %q: ideographic family not 王", pn.String())
					}
				}
			}
		})
	}
}

// TestClientFind runs our SCU's C-FIND against our SCP over net.Pipe,
// including a cancel after the first match.
func TestClientFind(t *testing.T) {
	t.Parallel()
	arch := loadArchive(t)
	srv := &dnet.Server{Find: archiveFind(arch)}
	c := pipeClient(t, srv, []dnet.Proposal{{AbstractSyntax: uid.StudyRootQueryRetrieveInformationModelFind}})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	q := dicom.New()
	_ = q.SetStrings(dicom.NewTag(0x0008, 0x0052), dicom.CS, "STUDY")
	_ = q.SetStrings(dicom.TagStudyInstanceUID, dicom.UI)
	_ = q.SetStrings(dicom.TagPatientName, dicom.PN)
	n := 0
	for ds, err := range c.Find(ctx, uid.StudyRootQueryRetrieveInformationModelFind, q) {
		if err != nil {
			t.Fatal(err)
		}
		if ds.Text(dicom.TagStudyInstanceUID) == "" {
			t.Errorf("response without StudyInstanceUID:\n%v", ds)
		}
		n++
	}
	if want := len(expected(arch, "STUDY", nil)); n != want {
		t.Errorf("C-FIND gave %d studies, want %d", n, want)
	}
	// Stop after the first: C-CANCEL, and the association stays usable.
	n = 0
	for _, err := range c.Find(ctx, uid.StudyRootQueryRetrieveInformationModelFind, q) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 {
		t.Fatalf("got %d before break", n)
	}
	if err := c.Echo(ctx); err != nil {
		t.Fatalf("C-ECHO after C-CANCEL: %v", err)
	}
	if err := c.Release(ctx); err != nil {
		t.Fatalf("release: %v", err)
	}
}
