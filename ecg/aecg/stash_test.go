package aecg

import (
	"errors"
	"os"
	"testing"

	"yigong/conformance/corpus"
)

// TestStashDigits checks that taking the digits out before tokenising
// gives the same tree text as leaving them in.
func TestStashDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		stashed   int
		want      []string // the text of each digits element, in order
	}{
		{"plain", `<a><digits>1 2 -3</digits><digits>
 4.5e1 </digits></a>`, 2, []string{"1 2 -3", "4.5e1"}},
		{"prefixed", `<v3:a xmlns:v3="urn:hl7-org:v3"><v3:digits>7 8</v3:digits></v3:a>`, 1, []string{"7 8"}},
		{"attributes left alone", `<a><digits x="1">5 6</digits></a>`, 0, []string{"5 6"}},
		{"markup left alone", `<a><digits>5 &#54;</digits></a>`, 0, []string{"5 6"}},
		{"other names left alone", `<a><xdigits>1</xdigits><v:mydigits xmlns:v="u">2</v:mydigits><digits>3</digits></a>`, 1, []string{"3"}},
		{"mismatched end", `<a><digits>1 2</digit></a>`, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stash := stashDigits([]byte(tt.doc))
			if len(stash) != tt.stashed {
				t.Errorf("%d stashed, want %d", len(stash), tt.stashed)
			}
			root, err := parseTree([]byte(tt.doc))
			if tt.want == nil {
				if err == nil {
					t.Error("malformed document parsed")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var walk func(n *node)
			walk = func(n *node) {
				if n.name == "digits" {
					got = append(got, n.str())
					if len(n.attrs) > 0 && n.attrs[len(n.attrs)-1].Name.Local == stashAttr {
						t.Error("stash attribute left on the node")
					}
				}
				for _, c := range n.children {
					walk(c)
				}
			}
			walk(root)
			if len(got) != len(tt.want) {
				t.Fatalf("digits %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("digits[%d] = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// sameTree compares two trees: names, attributes (local name and value)
// and text.
func sameTree(a, b *node) bool {
	if a.name != b.name || a.text.String() != b.text.String() || len(a.attrs) != len(b.attrs) || len(a.children) != len(b.children) {
		return false
	}
	for i := range a.attrs {
		if a.attrs[i].Name.Local != b.attrs[i].Name.Local || a.attrs[i].Value != b.attrs[i].Value {
			return false
		}
	}
	for i := range a.children {
		if !sameTree(a.children[i], b.children[i]) {
			return false
		}
	}
	return true
}

// TestFastTree checks the fast tokenizer against encoding/xml: the same
// tree for the corpus file and small documents, an error where
// encoding/xml gives one, and the slow path for what it leaves alone.
func TestFastTree(t *testing.T) {
	t.Parallel()
	corpusDoc, err := os.ReadFile(corpus.Path(t, "ecg", "ecgtoolkit", "Example.xml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{
		"corpus":     string(corpusDoc),
		"entities":   `<?xml version="1.0"?><a x="&lt;&#65;&#x42;&amp;">t&gt;&quot;&apos;<![CDATA[<raw>]]><b/></a>`,
		"namespaces": `<v:a xmlns:v="urn:hl7-org:v3" v:x='1'><v:b>text</v:b><!-- c --><?pi x?></v:a>`,
		"bom":        "\xef\xbb\xbf<a>1</a>\n",
	}
	for name, doc := range docs {
		b, stash := stashDigits([]byte(doc))
		fast, err := parseFast(b, stash)
		if err != nil {
			t.Fatalf("%s: fast: %v", name, err)
		}
		slow, err := parseSlow(b, stash)
		if err != nil {
			t.Fatalf("%s: slow: %v", name, err)
		}
		if !sameTree(fast, slow) {
			t.Errorf("%s: trees differ", name)
		}
	}
	bad := []string{
		"", "text", "<a>", "<a></b>", "<a><b></a></b>", "<a/><b/>", "<a x=1/>", `<a x="1" x="2"/>`,
		"<a>&unknown;</a>", "<a>&#0;</a>", "<a>\x01</a>", `<a x="<"/>`, "<a><!-- x</a>", "<a>x</a>y",
		"<1a/>", `<a x="1"y="2"/>`, "<a><?xml version='1.0'?></a>",
	}
	for _, doc := range bad {
		if _, err := parseTree([]byte(doc)); err == nil {
			t.Errorf("%q parsed", doc)
		}
	}
	for _, doc := range []string{`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, `<!DOCTYPE a><a/>`, "<a>\xff</a>"} {
		if _, err := parseFast([]byte(doc), nil); !errors.Is(err, errSlowPath) {
			t.Errorf("%q: fast path err = %v, want the slow path", doc, err)
		}
	}
}

// FuzzFastTree: what the fast tokenizer accepts, encoding/xml accepts
// too, with the same tree.
func FuzzFastTree(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><a x="&lt;"><b>1 2</b><digits>3 4</digits><!-- c --></a>`))
	f.Add([]byte(`<v:a xmlns:v="u"><v:digits>1</v:digits><![CDATA[x]]></v:a>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		b, stash := stashDigits(doc)
		fast, err := parseFast(b, stash)
		if err != nil {
			return
		}
		slow, err := parseSlow(b, stash)
		if err != nil {
			t.Fatalf("fast accepted, encoding/xml: %v", err)
		}
		if !sameTree(fast, slow) {
			t.Fatal("trees differ")
		}
	})
}
