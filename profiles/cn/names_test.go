package cn

import "testing"

func TestIsHanName(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"王", true}, {"小东", true}, {"阿依古丽·买买提", true}, {"", false}, {"Wang", false}, {"王 小东", false}, {"王1", false},
	} {
		if got := IsHanName(c.s); got != c.want {
			t.Errorf("IsHanName(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}
