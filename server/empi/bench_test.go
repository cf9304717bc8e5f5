package empi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"yigong/fhir/empi"
	"yigong/fhir/empi/evalgen"
	"yigong/fhir/search"
	"yigong/fhir/store"
	"yigong/fhir/store/sqlite"
	svcempi "yigong/server/empi"
)

// BenchmarkStoreScale measures the EMPI against a store holding
// $YIGONG_EMPI_STORE_BENCH generated Patients (fhir/empi/evalgen, seed 7,
// written through the store contract in transactions of 1,000, fully
// indexed): the index rebuild, a full relink (load, match, masters and
// review Tasks written), and $match latency as the operation runs it
// (MatchPatient, then a store read of each returned patient), p50 and p99
// over 2,000 queries. It runs its measurement once (loading a million patients is done once),
// whatever b.N; set YIGONG_EMPI_STORE_DIR to keep (and
// reuse) the database.
func BenchmarkStoreScale(b *testing.B) {
	var t testing.TB = b
	n, _ := strconv.Atoi(os.Getenv("YIGONG_EMPI_STORE_BENCH"))
	if n <= 0 {
		t.Skip("set YIGONG_EMPI_STORE_BENCH=1000000 to run")
	}
	ctx := context.Background()
	dir := os.Getenv("YIGONG_EMPI_STORE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	ix, err := search.NewIndexer(search.Options{BaseURL: "http://h/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "empi.db"), sqlite.Options{Indexer: ix, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	data := evalgen.Generate(evalgen.Config{Records: n, Seed: 7})
	have, err := db.ReindexCount(ctx, []string{"Patient"})
	if err != nil {
		t.Fatal(err)
	}
	if have == 0 {
		start := time.Now()
		for i := 0; i < len(data.Records); i += 1000 {
			tx, err := db.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range data.Records[i:min(i+1000, len(data.Records))] {
				p := empi.ToPatient(r)
				p.ID = ""
				b, _ := json.Marshal(p)
				if _, err := tx.Create(ctx, store.Input{Institution: r.Source, Type: "Patient", JSON: b}); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if (i/1000)%50 == 0 {
				t.Logf("load: %d/%d patients, %.0f/s", i+1000, len(data.Records), float64(i+1000)/time.Since(start).Seconds())
			}
		}
		t.Logf("load: %d patients in %s", len(data.Records), time.Since(start).Round(time.Second))
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := svcempi.New(db, svcempi.Options{Institution: "hub", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	last := time.Now()
	st, err := svc.Relink(ctx, 0, func(p svcempi.Progress) {
		if time.Since(last) > 30*time.Second {
			last = time.Now()
			t.Logf("relink: %s %d/%d", p.Phase, p.Done, p.Total)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("relink of %d patients: load %s, match %s, write %s, total %s; %d links, %d persons with several records, %d masters created, %d updated, %d review tasks",
		st.Patients, st.Load.Round(time.Second), st.Match.Round(time.Second), st.Write.Round(time.Second),
		(st.Load + st.Match + st.Write).Round(time.Second), st.Links, st.Clusters, st.Created, st.Updated, st.Reviews)

	lat := make([]time.Duration, 0, 2000)
	for i := 0; i < 2000; i++ {
		k := (i * 7919) % len(data.Records)
		p := empi.ToPatient(data.Records[k])
		p.ID = ""
		start := time.Now()
		cands, err := svc.MatchPatient(ctx, p, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cands {
			if _, err := db.Read(ctx, store.Ref{Type: "Patient", ID: c.ID}); err != nil {
				t.Fatal(err)
			}
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("$match over %d patients: p50 %s, p99 %s", len(data.Records), lat[len(lat)/2], lat[len(lat)*99/100])
}
