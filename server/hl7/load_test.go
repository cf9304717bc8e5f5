package hl7_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yigong/adapters/v2fhir"
	"yigong/conformance/corpus"
	"yigong/hl7v2"
	"yigong/hl7v2/mllp"
)

// loadMessage is message i of connection c: ADT^A01 for even i, ORU^R01
// (a result for the patient of the ADT just before) for odd i; patients
// repeat every 2*patients messages, so later ADTs update them.
func loadMessage(c, i, patients int) (ctl string, msg []byte) {
	ctl = fmt.Sprintf("L%d-%06d", c, i)
	p := (i / 2) % patients
	mrn := fmt.Sprintf("MRN-%d-%04d", c, p)
	head := fmt.Sprintf("MSH|^~\\&|LOAD%d|HOSP%d|YIGONG|HUB|20240301083000||%%s|%s|P|2.5.1\r", c, c, ctl)
	pid := fmt.Sprintf("PID|1||%s^^^HIS1^MR||王^小东%d||19800517|M\r", mrn, p)
	if i%2 == 0 {
		return ctl, fmt.Appendf(nil, head+"EVN|A01|20240301083000\r"+pid+
			"PV1|1|I|W03^305^2||||||||||||||||V-%d-%06d^^^HIS1^VN|||||||||||||||||||||||||20240301083000\r", "ADT^A01^ADT_A01", c, i)
	}
	return ctl, fmt.Appendf(nil, head+pid+
		"OBR|1|PL-%d-%06d|FL-%d-%06d|718-7^Hemoglobin^LN|||20240301083000|||||||||||||||20240301090000||LAB|F\r"+
		"OBX|1|NM|718-7^Hemoglobin^LN||13.%d|g/dL|12-16|N|||F|||20240301090000\r", "ORU^R01^ORU_R01", c, i, c, i, i%10)
}

// loadGen gives message i of connection c and its control ID.
type loadGen func(c, i int) (ctl string, msg []byte)

// generated is loadMessage with patients patients per sender.
func generated(patients int) loadGen {
	return func(c, i int) (string, []byte) { return loadMessage(c, i, patients) }
}

// corpusMix loads the messages of ../shared/corpus/hl7v2/messages whose
// types are mapped (42 of the 76 real messages, ADT to VXU, 0.6–8.6 kB) and
// returns a generator that sends them in turn, each copy made a new message of a new patient: MSH-3 names the
// connection's sender, MSH-10 is unique, and the first component of every
// identifier that a mapping matches on (PID-2/3/4, MRG-1/2, PV1-19/50,
// ORC-2/3, OBR-2/3, OBX-21, DG1-20, NK1-33, SPM-2, SCH-1/2, TXA-12) gets a
// suffix of the connection and the round.
func corpusMix(t testing.TB) loadGen {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpus.Path(t, "hl7v2", "messages"), "*.hl7"))
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus: %v", err)
	}
	mapper, err := v2fhir.New(v2fhir.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs [][]string // segments of each message
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		text := strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(string(data)), "\r\n", "\r"), "\n", "\r")
		if !strings.HasPrefix(text, "MSH|^~\\&|") {
			t.Fatalf("%s: not the standard delimiters", f)
		}
		msg, err := hl7v2.Parse([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := mapper.Map(context.Background(), msg); errors.Is(err, v2fhir.ErrNotMapped) {
			continue // BAR, DFT, REF, ...: stored and counted, no FHIR writes
		}
		msgs = append(msgs, strings.Split(text, "\r"))
	}
	ids := map[string][]int{"PID": {2, 3, 4}, "MRG": {1, 2}, "PV1": {19, 50}, "ORC": {2, 3}, "OBR": {2, 3}, "OBX": {21},
		"DG1": {20}, "NK1": {33}, "SPM": {2}, "SCH": {1, 2}, "TXA": {12}}
	return func(c, i int) (string, []byte) {
		segs := msgs[i%len(msgs)]
		tag := fmt.Sprintf("-%d-%d", c, i/len(msgs))
		ctl := fmt.Sprintf("C%d-%06d", c, i)
		var b strings.Builder
		for _, seg := range segs {
			f := strings.Split(seg, "|")
			if f[0] == "MSH" { // MSH-n is f[n-1]
				for len(f) < 12 {
					f = append(f, "")
				}
				f[2], f[9] = fmt.Sprintf("CORPUS%d", c), ctl
			}
			for _, n := range ids[f[0]] {
				if n >= len(f) || f[n] == "" {
					continue
				}
				reps := strings.Split(f[n], "~")
				for r, rep := range reps {
					// the first subcomponent of the first component: CX.1, EI.1, EIP.1.1
					if end := strings.IndexAny(rep, "^&"); end != 0 && rep != "" {
						if end < 0 {
							end = len(rep)
						}
						reps[r] = rep[:end] + tag + rep[end:]
					}
				}
				f[n] = strings.Join(reps, "~")
			}
			b.WriteString(strings.Join(f, "|"))
			b.WriteByte('\r')
		}
		return ctl, []byte(b.String())
	}
}

// loadResult is what a load run saw.
type loadResult struct {
	acked     []string // control IDs acknowledged AA
	latencies []time.Duration
	elapsed   time.Duration
	next      []int // per connection, the first message not acknowledged
}

// runLoad sends messages start[c]..perConn-1 of gen over conns connections
// (one sender each) to addr, each acknowledged AA (or CA, enhanced mode); every interval (0: as fast as the ACKs come) per
// connection. A connection stops at its first error (the server died).
func runLoad(ctx context.Context, addr string, conns, perConn int, gen loadGen, start []int, interval time.Duration, acked *atomic.Int64) loadResult {
	var mu sync.Mutex
	res := loadResult{next: make([]int, conns)}
	t0 := time.Now()
	var wg sync.WaitGroup
	for c := range conns {
		first := 0
		if start != nil {
			first = start[c]
		}
		res.next[c] = first
		wg.Go(func() {
			cl, err := mllp.Dial(ctx, addr, nil, 0)
			if err != nil {
				return
			}
			defer cl.Close()
			tick := time.Now()
			for i := first; i < perConn; i++ {
				if interval > 0 {
					tick = tick.Add(interval)
					if d := time.Until(tick); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
				}
				ctl, msg := gen(c, i)
				sent := time.Now()
				sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				reply, err := cl.Send(sctx, msg)
				cancel()
				if err != nil {
					return
				}
				lat := time.Since(sent)
				ack, err := hl7v2.Parse(reply)
				if err != nil {
					return
				}
				if m := ack.Segment("MSA"); m == nil || (m.Field(1).String() != "AA" && m.Field(1).String() != "CA") || m.Field(2).String() != ctl {
					return
				}
				acked.Add(1)
				mu.Lock()
				res.acked = append(res.acked, ctl)
				res.latencies = append(res.latencies, lat)
				res.next[c] = i + 1
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	return res
}
