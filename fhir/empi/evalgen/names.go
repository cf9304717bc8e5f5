package evalgen

// surnames are the 100 most common Chinese surnames in the rank order of the
// Ministry of Public Security's household-registration report for 2020
// (公安部户政管理研究中心《二〇二〇年全国姓名报告》), with shares of the population
// in per mille. The report publishes ranks; the shares are approximations
// from the counts published with the 2019 and 2020 reports for the top
// ranks (王 about 7.1%, 李 7.0%, 张 6.7%, 刘 5.4%, 陈 4.5% ...) and from
// 袁义达's national surname survey (2006) further down, rounded; they are
// good enough to reproduce the skew that makes Chinese record matching hard
// (王, 李, 张 alone are one person in five), not census statistics. A tail of
// polyphonic and compound surnames (单, 解, 区, 仇, 查, 欧阳, 司马, 诸葛, 上官)
// is added at small shares so that the surname rules are exercised.
var surnames = []struct {
	name   string
	permil float64
}{
	{"王", 71.2}, {"李", 70.0}, {"张", 67.4}, {"刘", 53.8}, {"陈", 45.3}, {"杨", 30.8}, {"黄", 22.3}, {"赵", 22.9},
	{"吴", 20.5}, {"周", 21.2}, {"徐", 16.7}, {"孙", 15.4}, {"马", 13.0}, {"朱", 12.6}, {"胡", 13.1}, {"郭", 11.5},
	{"何", 11.7}, {"林", 11.8}, {"罗", 8.6}, {"高", 12.1}, {"郑", 8.1}, {"梁", 8.0}, {"谢", 7.6}, {"宋", 7.4},
	{"唐", 7.1}, {"许", 6.6}, {"韩", 6.4}, {"邓", 6.2}, {"冯", 6.1}, {"曹", 5.9}, {"彭", 5.6}, {"曾", 5.4},
	{"肖", 5.3}, {"田", 5.2}, {"董", 5.1}, {"潘", 4.9}, {"袁", 4.8}, {"蔡", 4.7}, {"蒋", 4.6}, {"余", 4.5},
	{"于", 4.4}, {"杜", 4.3}, {"叶", 4.2}, {"程", 4.1}, {"魏", 4.0}, {"苏", 3.9}, {"吕", 3.8}, {"丁", 3.7},
	{"任", 3.6}, {"卢", 3.5}, {"姚", 3.4}, {"沈", 3.3}, {"钟", 3.2}, {"姜", 3.1}, {"崔", 3.0}, {"谭", 2.9},
	{"陆", 2.8}, {"范", 2.7}, {"汪", 2.6}, {"廖", 2.6}, {"石", 2.5}, {"金", 2.5}, {"韦", 2.4}, {"贾", 2.4},
	{"夏", 2.3}, {"付", 2.3}, {"方", 2.2}, {"邹", 2.2}, {"熊", 2.1}, {"白", 2.1}, {"孟", 2.0}, {"秦", 2.0},
	{"邱", 1.9}, {"侯", 1.9}, {"江", 1.8}, {"尹", 1.8}, {"薛", 1.7}, {"闫", 1.7}, {"段", 1.6}, {"雷", 1.6},
	{"龙", 1.5}, {"黎", 1.5}, {"史", 1.5}, {"陶", 1.4}, {"贺", 1.4}, {"毛", 1.4}, {"郝", 1.3}, {"顾", 1.3},
	{"龚", 1.3}, {"邵", 1.2}, {"万", 1.2}, {"覃", 1.2}, {"武", 1.2}, {"钱", 1.1}, {"戴", 1.1}, {"严", 1.1},
	{"莫", 1.0}, {"孔", 1.0}, {"向", 1.0}, {"常", 1.0},
	// Polyphonic and compound surnames (shares made up, small).
	{"单", 0.3}, {"解", 0.3}, {"区", 0.1}, {"仇", 0.2}, {"查", 0.2}, {"欧阳", 0.3}, {"司马", 0.1}, {"诸葛", 0.05}, {"上官", 0.05},
}

// Given-name characters by sex and generation: common characters of given
// names of people born before 1980 and after, ordered roughly by popularity
// (popularity falls off along each list). Compiled for this generator from
// common knowledge of Chinese naming fashions; not a statistical source.
const (
	maleOld     = "建国华军伟明强平志文海林德勇刚杰忠成永春福荣生金东光辉兵斌新庆龙祥宝富贵民江山中波峰良才宏全义超鹏"
	femaleOld   = "秀英玉兰芳桂珍凤华丽霞红梅琴燕萍敏云莲芬娟淑美春荣静玲花秋金菊香翠霞素爱彩凤群瑞英"
	maleYoung   = "浩宇轩子涵博文俊杰睿泽一航晨阳鑫磊皓宸奕铭辰昊然家豪思远嘉懿哲瀚逸凯旭鹏天佑明诚"
	femaleYoung = "子涵欣怡梓萱诗雨思琪佳琪梦瑶雅婷紫嫣晓彤一诺语嫣可馨若曦雨桐欣悦静怡佳怡心怡舒涵晨曦美琳"
)
