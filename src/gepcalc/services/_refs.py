"""References shared by several services."""

from gepcalc.services.base import Reference

MEE_2020 = Reference(
    "生态环境部环境规划院, 中国科学院生态环境研究中心. 陆地生态系统生产总值(GEP)核算技术指南 "
    "(MEE/CAEP Technical guideline for terrestrial GEP accounting)",
    year=2020,
)
NDRC_2022 = Reference(
    "国家发展改革委, 国家统计局. 生态产品总值核算规范(试行) 发改基础〔2022〕481号 "
    "(NDRC/NBS Specification for GEP accounting, trial)",
    year=2022,
)
OUYANG_2013 = Reference(
    "欧阳志云, 朱春全, 杨广斌 等. 生态系统生产总值核算: 概念、核算方法与案例研究. 生态学报 33(21):6747–6761",
    year=2013,
)
