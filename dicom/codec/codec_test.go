package codec_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/dicom"
	"yigong/dicom/codec"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// synthetic makes a native frame of im with runs, literals and noise, so
// that every PackBits case is exercised.
func synthetic(im codec.Image, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, im.FrameSize())
	for i := 0; i < len(b); {
		n := 1 + r.IntN(300)
		v := byte(r.IntN(256))
		noisy := r.IntN(2) == 0
		for k := 0; k < n && i < len(b); k++ {
			if noisy {
				b[i] = byte(r.IntN(256))
			} else {
				b[i] = v
			}
			i++
		}
	}
	return b
}

func TestRLERoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		im   codec.Image
	}{
		{"mono8", codec.Image{Rows: 7, Cols: 301, Samples: 1, BitsAllocated: 8}},
		{"mono16", codec.Image{Rows: 64, Cols: 64, Samples: 1, BitsAllocated: 16}},
		{"mono32", codec.Image{Rows: 3, Cols: 5, Samples: 1, BitsAllocated: 32}},
		{"rgb interleaved", codec.Image{Rows: 20, Cols: 129, Samples: 3, BitsAllocated: 8}},
		{"rgb planar", codec.Image{Rows: 20, Cols: 129, Samples: 3, BitsAllocated: 8, Planar: 1}},
		{"rgb16", codec.Image{Rows: 2, Cols: 2, Samples: 3, BitsAllocated: 16}},
		{"one pixel", codec.Image{Rows: 1, Cols: 1, Samples: 1, BitsAllocated: 8}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := synthetic(c.im, uint64(i))
			enc, err := codec.EncodeRLE(in, c.im)
			if err != nil {
				t.Fatal(err)
			}
			if len(enc)%2 != 0 {
				t.Errorf("encoded frame has odd length %d", len(enc))
			}
			out, err := codec.DecodeRLE(enc, c.im)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, out) {
				t.Fatalf("round trip differs")
			}
		})
	}
}

// TestRLEDecodeAnnexG decodes a frame built by hand from PS3.5 §G.3.1:
// a literal run, a replicate run and a no-op.
func TestRLEDecodeAnnexG(t *testing.T) {
	t.Parallel()
	frame := make([]byte, 64)
	frame[0], frame[4] = 1, 64
	frame = append(frame, 2, 'a', 'b', 'c', 0x80, byte(0xFD), 'z', 0) // "abc" + no-op + 4×'z' + pad
	out, err := codec.DecodeRLE(frame, codec.Image{Rows: 1, Cols: 7, Samples: 1, BitsAllocated: 8})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "abczzzz" {
		t.Fatalf("got %q", out)
	}
	bad := []struct {
		name  string
		frame []byte
	}{
		{"short header", frame[:10]},
		{"too many segments", append([]byte{2}, frame[1:]...)},
		{"short segment", frame[:68]},
	}
	for _, c := range bad {
		if _, err := codec.DecodeRLE(c.frame, codec.Image{Rows: 1, Cols: 7, Samples: 1, BitsAllocated: 8}); !errors.Is(err, codec.ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", c.name, err)
		}
	}
}

// readFile reads a Part 10 file with its pixel data.
func readFile(t *testing.T, p string) *part10.File {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := part10.Read(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return f
}

func writeFile(t *testing.T, p string, f *part10.File) {
	t.Helper()
	var buf bytes.Buffer
	if err := part10.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func nativeFrames(t *testing.T, f *part10.File) ([][]byte, codec.Image) {
	t.Helper()
	fr, im, err := codec.Frames(f.Dataset, f.TransferSyntax.UID)
	if err != nil {
		t.Fatalf("frames: %v", err)
	}
	return fr, im
}

// interleaved returns frame with colour planes interleaved, so frames in
// either planar configuration compare.
func interleaved(frame []byte, im codec.Image) []byte {
	if im.Samples == 1 || im.Planar == 0 {
		return frame
	}
	n := im.Rows * im.Cols
	out := make([]byte, len(frame))
	for p := range n {
		for s := range 3 {
			out[3*p+s] = frame[s*n+p]
		}
	}
	return out
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(peer.Require(t, name), args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// transcodeFile rewrites f into ts with the codec.
func transcodeFile(t *testing.T, f *part10.File, ts string) *part10.File {
	t.Helper()
	if err := codec.Transcode(f.Dataset, f.TransferSyntax.UID, ts); err != nil {
		t.Fatalf("transcode to %s: %v", uid.Name(ts), err)
	}
	f.TransferSyntax, _ = uid.LookupTransferSyntax(ts)
	f.Meta.Delete(dicom.TagTransferSyntaxUID)
	return f
}

// TestRLEWithDCMTK checks both directions against dcmtk: our decoder on
// dcmcrle's output, and dcmdrle on our encoder's, for monochrome 16-bit
// and RGB multi-frame images; pixels must be identical.
func TestRLEWithDCMTK(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"MR_small.dcm", "CT_small.dcm", "SC_rgb_rle_2frame.dcm", "image_dfl.dcm"} {
		t.Run(name, func(t *testing.T) {
			src := corpus.Path(t, "dicom", name)
			// dcmtk's native reference: decode with dcmdrle when RLE, else as is.
			ref := filepath.Join(dir, name+".ref.dcm")
			orig := readFile(t, src)
			if orig.TransferSyntax.UID == uid.RLELossless {
				run(t, "dcmdrle", src, ref)
			} else {
				writeFile(t, ref, transcodeFile(t, orig, uid.ExplicitVRLittleEndian))
			}
			want, im := nativeFrames(t, readFile(t, ref))

			// dcmcrle → our decoder.
			theirs := filepath.Join(dir, name+".dcmcrle.dcm")
			run(t, "dcmcrle", ref, theirs)
			got, gim := nativeFrames(t, readFile(t, theirs))
			for i := range want {
				if !bytes.Equal(interleaved(got[i], gim), interleaved(want[i], im)) {
					t.Fatalf("frame %d: our decoding of dcmcrle's RLE differs from the original", i+1)
				}
			}

			// our encoder → dcmdrle.
			ours := filepath.Join(dir, name+".ours.dcm")
			writeFile(t, ours, transcodeFile(t, readFile(t, ref), uid.RLELossless))
			back := filepath.Join(dir, name+".back.dcm")
			run(t, "dcmdrle", ours, back)
			got, gim = nativeFrames(t, readFile(t, back))
			for i := range want {
				if !bytes.Equal(interleaved(got[i], gim), interleaved(want[i], im)) {
					t.Fatalf("frame %d: dcmdrle's decoding of our RLE differs from the original", i+1)
				}
			}
		})
	}
}

// diff returns the largest and mean absolute difference of two 8-bit frames.
func diff(a, b []byte) (int, float64) {
	mx, sum := 0, 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		mx = max(mx, d)
		sum += d
	}
	return mx, float64(sum) / float64(len(a))
}

// TestJPEGBaselineWithDCMTK checks JPEG Baseline against dcmtk: our
// decoder against dcmdjpeg on dcmcjpeg's output (IDCTs differ by a unit
// or two), and dcmdjpeg on our encoder's output against the original
// (lossy at quality 90).
func TestJPEGBaselineWithDCMTK(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name, file string
		maxDecode  int // largest difference between two decoders
		meanEncode float64
	}{
		{"mono8", "image_dfl.dcm", 2, 3},
		{"rgb", "SC_rgb_rle_2frame.dcm", 3, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := filepath.Join(dir, c.name+".ref.dcm")
			writeFile(t, ref, transcodeFile(t, readFile(t, corpus.Path(t, "dicom", c.file)), uid.ExplicitVRLittleEndian))
			orig, im := nativeFrames(t, readFile(t, ref))

			jp := filepath.Join(dir, c.name+".dcmcjpeg.dcm")
			run(t, "dcmcjpeg", "+eb", ref, jp)
			dj := filepath.Join(dir, c.name+".dcmdjpeg.dcm")
			run(t, "dcmdjpeg", jp, dj)
			theirs, tim := nativeFrames(t, readFile(t, dj))
			ours, oim := nativeFrames(t, readFile(t, jp))
			if oim.Photometric != tim.Photometric && im.Samples == 3 {
				t.Errorf("photometric after decoding: ours %s, dcmdjpeg %s", oim.Photometric, tim.Photometric)
			}
			for i := range theirs {
				if mx, _ := diff(interleaved(ours[i], oim), interleaved(theirs[i], tim)); mx > c.maxDecode {
					t.Errorf("frame %d: our decoding differs from dcmdjpeg's by up to %d", i+1, mx)
				}
			}

			mine := filepath.Join(dir, c.name+".ours.dcm")
			writeFile(t, mine, transcodeFile(t, readFile(t, ref), uid.JPEGBaseline8Bit))
			back := filepath.Join(dir, c.name+".back.dcm")
			run(t, "dcmdjpeg", mine, back)
			got, gim := nativeFrames(t, readFile(t, back))
			for i := range orig {
				if _, mean := diff(interleaved(got[i], gim), interleaved(orig[i], im)); mean > c.meanEncode {
					t.Errorf("frame %d: dcmdjpeg's decoding of our JPEG is off by %.2f on average", i+1, mean)
				}
			}
			mf := readFile(t, mine)
			if v := mf.Dataset.Text(0x00282110); v != "01" {
				t.Errorf("Lossy Image Compression %q, want 01", v)
			}
		})
	}
}

// TestTranscodeDataSetNative checks that a 16-bit image survives native →
// RLE → big endian → native byte for byte.
func TestTranscodeDataSetNative(t *testing.T) {
	t.Parallel()
	f := readFile(t, corpus.Path(t, "dicom", "MR_small.dcm"))
	var buf bytes.Buffer
	if err := part10.WriteDataset(&buf, f.Dataset, f.TransferSyntax); err != nil {
		t.Fatal(err)
	}
	want, _ := nativeFrames(t, f)
	data, ts := buf.Bytes(), f.TransferSyntax.UID
	for _, to := range []string{uid.RLELossless, uid.ExplicitVRBigEndian, uid.ImplicitVRLittleEndian, uid.RLELossless, uid.ExplicitVRLittleEndian} {
		var err error
		if data, err = codec.TranscodeDataSet(data, ts, to); err != nil {
			t.Fatalf("%s → %s: %v", uid.Name(ts), uid.Name(to), err)
		}
		ts = to
	}
	tts, _ := uid.LookupTransferSyntax(ts)
	ds, err := part10.ReadDataset(bytes.NewReader(data), tts, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := codec.Frames(ds, ts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[0], want[0]) {
		t.Fatal("pixels changed")
	}
	if _, err := codec.TranscodeDataSet(data, ts, "1.2.840.10008.1.2.4.90"); !errors.Is(err, codec.ErrUnsupported) {
		t.Errorf("to JPEG 2000: err %v, want ErrUnsupported", err)
	}
}

// FuzzDecodeRLE feeds arbitrary frames to the RLE decoder: it must never
// panic, never return a frame of the wrong size, and what it decodes must
// encode and decode back.
func FuzzDecodeRLE(f *testing.F) {
	im := codec.Image{Rows: 4, Cols: 9, Samples: 1, BitsAllocated: 16}
	seed, _ := codec.EncodeRLE(synthetic(im, 7), im)
	f.Add(seed, uint8(4), uint8(9), uint8(1), uint8(16))
	rgb := codec.Image{Rows: 3, Cols: 3, Samples: 3, BitsAllocated: 8}
	seed2, _ := codec.EncodeRLE(synthetic(rgb, 8), rgb)
	f.Add(seed2, uint8(3), uint8(3), uint8(3), uint8(8))
	f.Fuzz(func(t *testing.T, frame []byte, rows, cols, spp, bits uint8) {
		im := codec.Image{Rows: int(rows), Cols: int(cols), Samples: int(spp), BitsAllocated: int(bits)}
		out, err := codec.DecodeRLE(frame, im)
		if err != nil {
			return
		}
		if len(out) != im.FrameSize() {
			t.Fatalf("decoded %d bytes, want %d", len(out), im.FrameSize())
		}
		enc, err := codec.EncodeRLE(out, im)
		if err != nil {
			t.Fatal(err)
		}
		back, err := codec.DecodeRLE(enc, im)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("re-encoding does not round-trip: %v", err)
		}
	})
}

// BenchmarkRLE encodes and decodes a 512×512 16-bit CT-like frame.
func BenchmarkRLE(b *testing.B) {
	im := codec.Image{Rows: 512, Cols: 512, Samples: 1, BitsAllocated: 16}
	frame := synthetic(im, 3)
	enc, err := codec.EncodeRLE(frame, im)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			if _, err := codec.DecodeRLE(enc, im); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			if _, err := codec.EncodeRLE(frame, im); err != nil {
				b.Fatal(err)
			}
		}
	})
}
