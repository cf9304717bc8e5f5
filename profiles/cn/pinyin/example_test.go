package pinyin_test

import (
	"fmt"

	"yigong/profiles/cn/pinyin"
)

func ExampleName() {
	fam, giv := pinyin.Name("单", "雄信")
	fmt.Println(pinyin.Join(fam, giv), pinyin.Initials(fam, giv))
	f, g := pinyin.Split("欧阳娜娜")
	fmt.Println(f, g, pinyin.Fold("張偉"))
	// Output:
	// shanxiongxin sxx
	// 欧阳 娜娜 张伟
}
