package pinyin

import (
	"reflect"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, family, given string
		want                string
	}{
		{"common", "王", "小东", "wang xiaodong"},
		{"shan", "单", "雄信", "shan xiongxin"},
		{"zeng", "曾", "国藩", "zeng guofan"},
		{"xie", "解", "缙", "xie jin"},
		{"ou", "区", "永", "ou yong"},
		{"qiu", "仇", "英", "qiu ying"},
		{"zha", "查", "良镛", "zha liangyong"},
		{"piao", "朴", "敏", "piao min"},
		{"compound", "欧阳", "修", "ouyang xiu"},
		{"yuchi", "尉迟", "恭", "yuchi gong"},
		{"moqi", "万俟", "卨", "moqi xie"},
		{"traditional", "張", "偉", "zhang wei"},
		{"lv", "吕", "布", "lv bu"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, g := Name(c.family, c.given)
			if got := Join(f) + " " + Join(g); got != c.want {
				t.Errorf("Name(%q, %q) = %q, want %q", c.family, c.given, got, c.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	cases := []struct{ full, family, given string }{
		{"王小东", "王", "小东"},
		{"王 小东", "王", "小东"},
		{"欧阳娜娜", "欧阳", "娜娜"},
		{"歐陽娜娜", "歐陽", "娜娜"},
		{"司马光", "司马", "光"},
		{"马光", "马", "光"},
		{"阿依古丽·买买提", "阿依古丽", "买买提"},
	}
	for _, c := range cases {
		f, g := Split(c.full)
		if f != c.family || g != c.given {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", c.full, f, g, c.family, c.given)
		}
	}
}

func TestReadings(t *testing.T) {
	t.Parallel()
	if got := Syllable('东'); got != "dong" {
		t.Errorf("东 = %q", got)
	}
	if !Lookup('伟').Overlaps(Lookup('玮')) {
		t.Error("伟 and 玮 should be homophones")
	}
	if Lookup('伟').Overlaps(Lookup('东')) {
		t.Error("伟 and 东 are not homophones")
	}
	if !Lookup('行').Has(SylOf("hang")) || !Lookup('行').Has(SylOf("xing")) {
		t.Error("行 reads xing and hang")
	}
	if got := Initials(Syllables("王小东")); got != "wxd" {
		t.Errorf("initials = %q", got)
	}
	if got := Syllables("Wang·小东"); !reflect.DeepEqual(got, []string{"w", "a", "n", "g", "xiao", "dong"}) {
		t.Errorf("Syllables = %q", got)
	}
	if got := Fold("張偉國"); got != "张伟国" {
		t.Errorf("Fold = %q", got)
	}
	if tr, ok := Traditional('张'); !ok || tr != '張' {
		t.Errorf("Traditional(张) = %c %v", tr, ok)
	}
	n := 0
	for r := rune(basicFirst); r <= basicLast; r++ {
		if Lookup(r).Len() > 0 {
			n++
		}
	}
	if n < 20000 {
		t.Errorf("only %d characters have readings", n)
	}
	for _, r := range "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤" {
		if len(strings.TrimSpace(Join(SurnameSyllables(string(r))))) < 1 || Lookup(r).Len() == 0 {
			t.Errorf("surname %c has no reading", r)
		}
	}
}

func BenchmarkName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		f, g := Name("欧阳", "晓東")
		_ = Join(f, g)
	}
}
