package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm3"

	"yigong/fhir/store"
)

// Hash names the chain's hash function.
type Hash string

// The chain hashes.
const (
	SM3    Hash = "sm3" // default: GB/T 32905
	SHA256 Hash = "sha256"
)

func (h Hash) new() (hash.Hash, error) {
	switch h {
	case SM3, "":
		return sm3.New(), nil
	case SHA256:
		return sha256.New(), nil
	}
	return nil, fmt.Errorf("audit: unknown hash %q (want sm3 or sha256)", h)
}

// Link computes the hash of entry e after prev.
func (h Hash) Link(prev []byte, e *store.AuditEntry) ([]byte, error) {
	hh, err := h.new()
	if err != nil {
		return nil, err
	}
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		hh.Write(n[:])
		hh.Write(b)
	}
	field(prev)
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	hh.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.Recorded.UnixMicro()))
	hh.Write(n[:])
	field([]byte(e.Institution))
	field([]byte(e.Action))
	field([]byte(e.Outcome))
	field([]byte(e.Agent))
	field(e.Event)
	return hh.Sum(nil), nil
}

// Break is the first broken link Verify found.
type Break struct {
	Seq    int64
	Reason string
}

// Report is the outcome of Verify.
type Report struct {
	First, Last int64 // the range checked
	Checked     int64
	Broken      *Break // nil: the chain is intact
}

// Verify walks the chain from the retention anchor and reports the first
// link that does not hold: a gap in the sequence, a prev_hash that is not
// the previous entry's hash, or a hash that does not match the entry's
// content.
func Verify(ctx context.Context, log store.AuditLog, h Hash) (*Report, error) {
	anchor, err := log.AuditAnchor(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{First: anchor.Seq + 1}
	prevSeq, prevHash := anchor.Seq, anchor.Hash
	after := anchor.Seq
	for {
		batch, err := log.ScanAudit(ctx, after, 5000)
		if err != nil {
			return nil, err
		}
		for i := range batch {
			e := &batch[i]
			switch {
			case e.Seq != prevSeq+1:
				rep.Broken = &Break{Seq: prevSeq + 1, Reason: fmt.Sprintf("entry %d missing (next is %d)", prevSeq+1, e.Seq)}
			case !bytes.Equal(e.PrevHash, prevHash):
				rep.Broken = &Break{Seq: e.Seq, Reason: "prev_hash differs from the previous entry's hash (entry removed, inserted or reordered)"}
			default:
				want, err := h.Link(prevHash, e)
				if err != nil {
					return nil, err
				}
				if !bytes.Equal(want, e.Hash) {
					rep.Broken = &Break{Seq: e.Seq, Reason: "content does not match its hash (entry modified)"}
				}
			}
			if rep.Broken != nil {
				return rep, nil
			}
			rep.Checked++
			rep.Last = e.Seq
			prevSeq, prevHash = e.Seq, e.Hash
		}
		if len(batch) < 5000 {
			return rep, nil
		}
		after = batch[len(batch)-1].Seq
	}
}
