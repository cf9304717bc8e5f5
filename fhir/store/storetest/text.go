package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"yigong/fhir/store"
)

// testText checks the whole-text index (store.ParamText, _text and
// _content): :contains finds a word anywhere in a long text, across what
// used to be chunk boundaries, case- and width-folded; an update replaces
// the text and a deletion removes it.
func testText(t *testing.T, s store.Store) {
	ctx := context.Background()
	sr, ok := s.(store.Searcher)
	if !ok {
		t.Skip("store does not search")
	}
	long := ""
	for i := range 200 {
		long += fmt.Sprintf("word%03d ", i)
	}
	body := func(div string) []byte {
		return fmt.Appendf(nil, `{"resourceType":"Patient","text":{"status":"generated","div":%q},"name":[{"family":"文"}]}`, div)
	}
	p, err := s.Create(ctx, store.Input{Institution: "A", Type: "Patient", JSON: body(long + " 高血压 ＨＹＰＥＲＴＥＮＳＩＯＮ " + long)})
	if err != nil {
		t.Fatal(err)
	}
	find := func(q string) []string {
		t.Helper()
		page, err := sr.Search(ctx, store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_text", Type: store.ParamText,
			Modifier: "contains", Values: []store.FilterValue{{Text: q}}}}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range page.Entries {
			ids = append(ids, r.ID)
		}
		return ids
	}
	for _, q := range []string{"高血压", "hypertension", "word199 高血", "word150 word151", "d000"} {
		if got := find(q); !slices.Equal(got, []string{p.ID}) {
			t.Errorf("_text:contains=%q: %v, want [%s]", q, got, p.ID)
		}
	}
	if got := find("diabetes"); len(got) != 0 {
		t.Errorf("_text:contains=diabetes: %v", got)
	}
	if _, _, err := s.Update(ctx, store.Input{Institution: "A", Type: "Patient", ID: p.ID, JSON: body("糖尿病 diabetes")}); err != nil {
		t.Fatal(err)
	}
	if got := find("高血压"); len(got) != 0 {
		t.Errorf("the old text is still found after an update: %v", got)
	}
	if got := find("diabetes"); !slices.Equal(got, []string{p.ID}) {
		t.Errorf("the new text is not found: %v", got)
	}
	if _, err := s.Delete(ctx, p.Ref(), 0); err != nil {
		t.Fatal(err)
	}
	if got := find("diabetes"); len(got) != 0 {
		t.Errorf("a deleted resource's text is found: %v", got)
	}
	if _, err := sr.Search(ctx, store.SearchQuery{Type: "Patient", Filters: []store.Filter{{Param: "_text", Type: store.ParamText,
		Values: []store.FilterValue{{Text: "x"}}}}}); err == nil {
		t.Error("_text without :contains was accepted")
	}
}
