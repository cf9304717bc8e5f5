package pdu_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"runtime"
	"testing"

	"yigong/dicom/pdu"
)

func sampleRQ() *pdu.AssociateRQ {
	return &pdu.AssociateRQ{
		ProtocolVersion: 1, CalledAE: "YIGONG", CallingAE: "CT01", ApplicationContext: pdu.ApplicationContext,
		PresentationContexts: []pdu.PresentationContextRQ{
			{ID: 1, AbstractSyntax: "1.2.840.10008.1.1", TransferSyntaxes: []string{"1.2.840.10008.1.2"}},
			{ID: 3, AbstractSyntax: "1.2.840.10008.5.1.4.1.1.2", TransferSyntaxes: []string{"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.1"}},
		},
		UserInfo: pdu.UserInfo{
			MaxLength: 16384, ImplementationClassUID: "1.2.3.4", ImplementationVersionName: "TEST_1",
			AsyncOps:             &pdu.AsyncOps{Invoked: 1, Performed: 1},
			RoleSelections:       []pdu.RoleSelection{{SOPClassUID: "1.2.840.10008.5.1.4.1.1.2", SCU: false, SCP: true}},
			ExtendedNegotiations: []pdu.ExtendedNegotiation{{SOPClassUID: "1.2.840.10008.5.1.4.1.2.2.1", Info: []byte{1, 0, 1}}},
			Identity:             &pdu.UserIdentity{Type: pdu.IdentityUsernamePasscode, PositiveResponseRequested: true, Primary: []byte("doctor"), Secondary: []byte("secret")},
			Unknown:              []pdu.Item{{Type: 0x57, Value: []byte{0, 1, 'x'}}},
		},
	}
}

func samples() []pdu.PDU {
	return []pdu.PDU{
		sampleRQ(),
		&pdu.AssociateAC{
			ProtocolVersion: 1, CalledAE: "YIGONG", CallingAE: "CT01", ApplicationContext: pdu.ApplicationContext,
			PresentationContexts: []pdu.PresentationContextAC{{ID: 1, Result: pdu.Acceptance, TransferSyntax: "1.2.840.10008.1.2"}, {ID: 3, Result: pdu.AbstractSyntaxNotSupported}},
			UserInfo:             pdu.UserInfo{MaxLength: 0, ImplementationClassUID: "1.2.3.5", IdentityResponse: &pdu.UserIdentityResponse{ServerResponse: []byte{}}},
		},
		&pdu.AssociateRJ{Result: 1, Source: 1, Reason: 7},
		&pdu.PData{PDVs: []pdu.PDV{{ContextID: 1, Command: true, Last: true, Data: []byte{1, 2, 3, 4}}, {ContextID: 1, Last: false, Data: []byte{5, 6}}}},
		&pdu.ReleaseRQ{},
		&pdu.ReleaseRP{},
		&pdu.Abort{Source: 2, Reason: 6},
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, p := range samples() {
		t.Run(p.Type().String(), func(t *testing.T) {
			b, err := p.Encode(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := binary.BigEndian.Uint32(b[2:]); int(got) != len(b)-pdu.HeaderLength {
				t.Fatalf("length field %d, body %d", got, len(b)-pdu.HeaderLength)
			}
			q, n, err := pdu.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Fatalf("used %d of %d bytes", n, len(b))
			}
			if rq, ok := q.(*pdu.AssociateRQ); ok && rq.UserInfo.Identity != nil && rq.UserInfo.Identity.Secondary == nil {
				t.Fatal("secondary lost")
			}
			if !reflect.DeepEqual(p, q) {
				t.Errorf("round trip:\n got %#v\nwant %#v", q, p)
			}
			// Encoding appends to the caller's buffer.
			pre := []byte("xyz")
			b2, _ := p.Encode(pre)
			if !bytes.Equal(b2[:3], pre) || !bytes.Equal(b2[3:], b) {
				t.Error("Encode does not append")
			}
		})
	}
}

func TestReader(t *testing.T) {
	t.Parallel()
	var stream []byte
	for _, p := range samples() {
		stream, _ = p.Encode(stream)
	}
	r := pdu.NewReader(bytes.NewReader(stream), 1024)
	for _, want := range samples() {
		got, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if got.Type() != want.Type() {
			t.Fatalf("got %s, want %s", got.Type(), want.Type())
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("at end: %v", err)
	}
}

// TestReaderCap: a P-DATA-TF claiming 4 GiB is refused from its header,
// before anything is allocated or read.
func TestReaderCap(t *testing.T) {
	hdr := []byte{byte(pdu.TypePData), 0, 0xFF, 0xFF, 0xFF, 0xF0}
	r := pdu.NewReader(io.MultiReader(bytes.NewReader(hdr), neverReader{t}), 16384)
	if _, err := r.Next(); !errors.Is(err, pdu.ErrTooLong) {
		t.Fatalf("got %v, want ErrTooLong", err)
	}
	hdr[0] = byte(pdu.TypeAssociateRQ)
	r = pdu.NewReader(io.MultiReader(bytes.NewReader(hdr), neverReader{t}), 16384)
	if _, err := r.Next(); !errors.Is(err, pdu.ErrTooLong) {
		t.Fatalf("A-ASSOCIATE-RQ: got %v, want ErrTooLong", err)
	}
	hdr[0] = 0x09
	r = pdu.NewReader(io.MultiReader(bytes.NewReader(hdr), neverReader{t}), 16384)
	if _, err := r.Next(); !errors.Is(err, pdu.ErrUnknownType) {
		t.Fatalf("type 9: got %v, want ErrUnknownType", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		r := pdu.NewReader(bytes.NewReader([]byte{4, 0, 0xFF, 0xFF, 0xFF, 0xF0}), 16384)
		_, _ = r.Next()
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("%d bytes allocated for 100 refused PDUs", d)
	}
}

type neverReader struct{ t *testing.T }

func (n neverReader) Read([]byte) (int, error) {
	n.t.Error("body read after a refused header")
	return 0, io.EOF
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	rq, _ := sampleRQ().Encode(nil)
	tests := map[string][]byte{
		"short header":     {1, 0, 0},
		"length past end":  {4, 0, 0, 0, 0, 10, 0, 0},
		"pdv length short": {4, 0, 0, 0, 0, 6, 0, 0, 0, 1, 1, 3},
		"pdv past end":     {4, 0, 0, 0, 0, 6, 0, 0, 0, 9, 1, 3},
		"empty pdata":      {4, 0, 0, 0, 0, 0},
		"rq short":         {1, 0, 0, 0, 0, 4, 0, 1, 0, 0},
		"rq item past end": append(append([]byte(nil), rq[:len(rq)-1]...), 0),
	}
	// Make the last case's length field consistent with its body, with the
	// final item length overrunning.
	b := tests["rq item past end"]
	binary.BigEndian.PutUint32(b[2:], uint32(len(b)-6-1))
	tests["rq item past end"] = b[:len(b)-1]
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, err := pdu.Decode(b); err == nil {
				t.Error("decoded without error")
			}
		})
	}
}

func BenchmarkDecodePData(b *testing.B) {
	data := bytes.Repeat([]byte{0xAB}, 16372)
	buf, _ := (&pdu.PData{PDVs: []pdu.PDV{{ContextID: 1, Last: true, Data: data}}}).Encode(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var p pdu.PData
	for b.Loop() {
		if err := p.Decode(buf[pdu.HeaderLength:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAssociateRQ(b *testing.B) {
	buf, _ := sampleRQ().Encode(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := pdu.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	data := bytes.Repeat([]byte{0xAB}, 16372)
	one, _ := (&pdu.PData{PDVs: []pdu.PDV{{ContextID: 1, Last: true, Data: data}}}).Encode(nil)
	stream := bytes.Repeat(one, 64)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		r := pdu.NewReader(bytes.NewReader(stream), 16384)
		for range 64 {
			if _, err := r.Next(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
