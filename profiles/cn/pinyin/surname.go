package pinyin

// surnameExtra completes the generated surname table (genSurname) with
// surname readings of polyphonic characters that the source lacks or reads
// otherwise, following the surname notes of 现代汉语词典 (7th ed.). It wins
// over genSurname.
var surnameExtra = map[rune]string{
	'区': "ou", '盖': "ge", '覃': "qin", '繁': "po", '种': "chong", '秘': "bi",
	'句': "gou", '员': "yun", '黑': "he", '折': "she", '召': "shao", '冼': "xian",
	'洗': "xian", '尉': "wei", '谌': "chen", '佴': "nai", '藏': "zang", '朝': "chao",
	'过': "guo", '便': "pian", '行': "xing", '重': "chong", '祭': "zhai", '涂': "tu",
	'萨': "sa", '麴': "qu", '解': "xie", '单': "shan", '曾': "zeng", '仇': "qiu",
	'查': "zha", '朴': "piao", '乐': "yue", '缪': "miao", '翟': "zhai", '长': "chang",
	'阚': "kan", '燕': "yan", '华': "hua", '任': "ren", '纪': "ji",
}
