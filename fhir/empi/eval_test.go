package empi_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"yigong/fhir/empi"
	"yigong/fhir/empi/evalgen"
)

// evalRecords is the size of the evaluation: 100,000 records by default;
// YIGONG_EMPI_EVAL overrides it.
func evalRecords(t testing.TB) int {
	if s := os.Getenv("YIGONG_EMPI_EVAL"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("YIGONG_EMPI_EVAL: %v", err)
		}
		return n
	}
	if testing.Short() {
		return 20000
	}
	return 100000
}

type evalResult struct {
	records, persons, truePairs  int
	linkedPairs, correctPairs    int
	precision, recall            float64
	review, reviewTrue           int
	deterministic, probabilistic int
	estimate, index, relink      time.Duration
}

func runEval(t testing.TB, n int, seed uint64) (evalResult, *empi.Model) {
	data := evalgen.Generate(evalgen.Config{Records: n, Seed: seed})
	var res evalResult
	res.records, res.persons = len(data.Records), len(data.Persons)

	start := time.Now()
	ix := empi.NewIndex(empi.Options{})
	for _, r := range data.Records {
		ix.Add(r)
	}
	res.index = time.Since(start)

	// Estimate the weights from the data itself: EM over candidate pairs.
	start = time.Now()
	m := empi.EstimateEM(ix.Vectors(400000), ix.Model(), empi.EMOptions{})
	m = empi.EstimateU(ix.RandomVectors(1000000, seed), m)
	ix.SetModel(m)
	res.estimate = time.Since(start)

	start = time.Now()
	l, err := ix.Relink(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	res.relink = time.Since(start)

	// Pairwise truth.
	perPerson := map[int]int{}
	for _, p := range data.Truth {
		perPerson[p]++
	}
	for _, k := range perPerson {
		res.truePairs += k * (k - 1) / 2
	}
	clusters := map[int]map[int]int{} // cluster → person → records
	for i, c := range l.Cluster {
		if clusters[c] == nil {
			clusters[c] = map[int]int{}
		}
		clusters[c][data.Truth[i]]++
	}
	for _, ps := range clusters {
		size := 0
		for _, k := range ps {
			size += k
			res.correctPairs += k * (k - 1) / 2
		}
		res.linkedPairs += size * (size - 1) / 2
	}
	res.precision = float64(res.correctPairs) / float64(max(res.linkedPairs, 1))
	res.recall = float64(res.correctPairs) / float64(max(res.truePairs, 1))
	res.review = len(l.Review)
	for _, p := range l.Review {
		if data.Truth[p.A] == data.Truth[p.B] {
			res.reviewTrue++
		}
	}
	for _, p := range l.Links {
		if p.Candidate.Rule != "" {
			res.deterministic++
		} else {
			res.probabilistic++
		}
	}
	return res, m
}

func (r evalResult) String() string {
	return fmt.Sprintf("%d records, %d persons, %d true pairs: precision %.5f (%d of %d linked pairs correct), recall %.5f; "+
		"auto links %d deterministic + %d scored; review queue %d pairs (%d true matches); index %v, EM %v, relink %v",
		r.records, r.persons, r.truePairs, r.precision, r.correctPairs, r.linkedPairs, r.recall,
		r.deterministic, r.probabilistic, r.review, r.reviewTrue, r.index.Round(time.Millisecond), r.estimate.Round(time.Millisecond), r.relink.Round(time.Millisecond))
}

// TestLinkageEvaluation is the matching evaluation of issue 8: generated
// records (evalgen), EM-estimated weights, blocking, thresholds and the
// transitive closure of automatic links; pairwise precision and recall of
// the automatic links against the truth, and the review queue size.
func TestLinkageEvaluation(t *testing.T) {
	n := evalRecords(t)
	seed := uint64(20251121)
	if s := os.Getenv("YIGONG_EMPI_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("YIGONG_EMPI_SEED: %v", err)
		}
		seed = v
	}
	res, m := runEval(t, n, seed)
	t.Log(res)
	if testing.Verbose() {
		b, _ := m.MarshalJSON()
		t.Logf("estimated model: %s", b)
	}
	if res.precision < 0.999 {
		t.Errorf("precision %.5f < 0.999 goal", res.precision)
	}
	if res.recall < 0.97 {
		t.Errorf("recall %.5f < 0.97 goal", res.recall)
	}
}
