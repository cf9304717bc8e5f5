package empi_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/server/empi"
)

// TestRelink: a bulk relink over records written straight into the store
// (no consumer running) links the two records of one man under a master,
// queues his twin for review, and is idempotent.
func TestRelink(t *testing.T) {
	t.Parallel()
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ix, err := search.NewIndexer(search.Options{BaseURL: "http://h/fhir"})
			if err != nil {
				t.Fatal(err)
			}
			st := e.open(t, ix)
			defer st.Close()
			var ids []string
			for _, body := range []string{countyWang, townshipWang, townshipTwin, stranger} {
				r, err := st.Create(ctx, store.Input{Institution: "h1", Type: "Patient", JSON: []byte(body)})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, r.ID)
			}
			svc, err := empi.New(st, empi.Options{Institution: "hub", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			var phases []string
			res, err := svc.Relink(ctx, 2, func(p empi.Progress) {
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Patients != 4 || res.Clusters != 1 || res.Created != 1 || res.Reviews != 1 {
				t.Errorf("first relink: %+v", res)
			}
			if m := svc.MasterOf(ids[0]); m == "" || svc.MasterOf(ids[1]) != m || svc.MasterOf(ids[2]) != "" {
				t.Errorf("masters: %q %q %q", m, svc.MasterOf(ids[1]), svc.MasterOf(ids[2]))
			}
			if len(phases) < 2 || phases[len(phases)-1] != "write" {
				t.Errorf("progress phases %v", phases)
			}
			res, err = svc.Relink(ctx, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Patients != 4 || res.Created != 0 || res.Updated != 0 || res.Reviews != 0 {
				t.Errorf("second relink: %+v", res)
			}
		})
	}
}

// TestRelinkLive: a relink on a service whose consumer is running (the
// hub's relink job) pauses the consumer rather than racing it: each person
// ends with one master. A relink cancelled while it reloads the index
// leaves it unloaded; Run reloads it and matching resumes.
func TestRelinkLive(t *testing.T) {
	t.Parallel()
	h := start(t, engines()[0])
	a := h.create(countyWang)
	res, err := h.svc.Relink(context.Background(), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := h.create(townshipWang) // matched by the consumer after the relink
	h.settle()
	if m := h.svc.MasterOf(a); m == "" || h.svc.MasterOf(b) != m {
		t.Fatalf("masters after a live relink (%+v): %q %q", res, m, h.svc.MasterOf(b))
	}
	if got := h.search("/Patient?_tag=" + empi.TagSystem + "|" + empi.TagGolden); len(got) != 1 {
		t.Fatalf("masters: %v", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	_, err = h.svc.Relink(ctx, 2, func(p empi.Progress) {
		if p.Phase == "load" {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("a relink cancelled during its load succeeded")
	}
	h.waitReady()
	twin := h.create(townshipTwin)
	h.settle()
	if h.svc.MasterOf(twin) != "" || h.svc.MasterOf(a) == "" {
		t.Errorf("after the cancelled relink: twin master %q, a master %q", h.svc.MasterOf(twin), h.svc.MasterOf(a))
	}
	if r := h.do("POST", "/Patient/$match", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":`+countyWang+`}]}`); r.status != 200 {
		t.Errorf("$match after the cancelled relink: %d %v", r.status, r.body)
	}
}
