#!/usr/bin/env python3
"""Write scripts/demo-data.csv: 50 customers of each type (doctors,
hospitals, pharmacies, patients) with Ukrainian, Chinese and English names,
phone numbers written the many ways people write them, emails on example
domains and licence or registry numbers. Deterministic: the same file every
run. Usage: scripts/gen-demo-data.py [OUT.csv]"""
import csv
import os
import random
import sys

R = random.Random(2026)

UA_FIRST = ["Олена", "Іван", "Марія", "Андрій", "Наталія", "Олександр", "Тетяна", "Дмитро",
            "Ірина", "Сергій", "Оксана", "Богдан", "Юлія", "Тарас", "Світлана", "Володимир"]
UA_LAST = ["Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Мельник",
           "Олійник", "Лисенко", "Гончаренко", "Савченко", "Руденко", "Мороз", "Петренко"]
UA_LATIN = {"Олена": "olena", "Іван": "ivan", "Марія": "mariia", "Андрій": "andrii",
            "Наталія": "nataliia", "Олександр": "oleksandr", "Тетяна": "tetiana",
            "Дмитро": "dmytro", "Ірина": "iryna", "Сергій": "serhii", "Оксана": "oksana",
            "Богдан": "bohdan", "Юлія": "yuliia", "Тарас": "taras", "Світлана": "svitlana",
            "Володимир": "volodymyr", "Коваленко": "kovalenko", "Шевченко": "shevchenko",
            "Бондаренко": "bondarenko", "Ткаченко": "tkachenko", "Кравченко": "kravchenko",
            "Мельник": "melnyk", "Олійник": "oliinyk", "Лисенко": "lysenko",
            "Гончаренко": "honcharenko", "Савченко": "savchenko", "Руденко": "rudenko",
            "Мороз": "moroz", "Петренко": "petrenko"}
CN = [("王", "伟", "wang.wei"), ("李", "娜", "li.na"), ("张", "敏", "zhang.min"),
      ("刘", "洋", "liu.yang"), ("陈", "静", "chen.jing"), ("杨", "磊", "yang.lei"),
      ("赵", "丽", "zhao.li"), ("黄", "强", "huang.qiang"), ("周", "芳", "zhou.fang"),
      ("吴", "军", "wu.jun")]
EN_FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
            "David", "Elizabeth", "Sarah", "Thomas", "Emma", "Oliver"]
EN_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
           "Evans", "Thomas", "Roberts", "Walker"]

UA_REGIONS = ["Kyiv", "Lviv", "Odesa", "Kharkiv", "Dnipro", "Vinnytsia", "Poltava", "Chernihiv"]
AREA = {"Kyiv": "44", "Lviv": "32", "Odesa": "48", "Kharkiv": "57", "Dnipro": "56",
        "Vinnytsia": "432", "Poltava": "532", "Chernihiv": "462"}
MOBILE = ["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]
SPECIALTIES = ["cardiology", "oncology", "endocrinology", "neurology", "paediatrics",
               "general practice", "pulmonology", "rheumatology", "gastroenterology"]
DOMAINS = ["example.com", "example.org", "example.net"]

used = set()


def unique(make):
    for _ in range(1000):
        v = make()
        if v not in used:
            used.add(v)
            return v
    raise SystemExit("gen-demo-data: ran out of unique values")


def ua_mobile():
    op, n = R.choice(MOBILE), "%07d" % R.randrange(10 ** 7)
    a, b, c = n[:3], n[3:5], n[5:]
    return R.choice(["+380 %s %s %s %s" % (op, a, b, c), "0%s-%s-%s-%s" % (op, a, b, c),
                     "(0%s) %s %s %s" % (op, a, b, c), "380%s%s" % (op, n),
                     "+380%s%s" % (op, n), "0%s %s %s" % (op, a, b + c)])


def ua_landline(region):
    code = AREA[region]
    n = "%0*d" % (9 - len(code), R.randrange(10 ** (9 - len(code))))
    return R.choice(["(0%s) %s-%s" % (code, n[:-4], n[-4:]), "0 %s %s" % (code, n),
                     "8 (0%s) %s-%s" % (code, n[:-4], n[-4:]), "+380 %s %s" % (code, n),
                     "00380 %s %s" % (code, n)])


def cn_mobile():
    n = "1%d%d%08d" % (R.choice([3, 5, 8]), R.randrange(10), R.randrange(10 ** 8))
    return R.choice(["+86 %s %s %s" % (n[:3], n[3:7], n[7:]), "0086 %s" % n])


def uk_phone():
    return "+44 20 7946 %04d" % R.randrange(10 ** 4)


def person(i):
    """(display name, latin slug for emails, region) by culture."""
    k = i % 10
    if k < 6:
        f, l = R.choice(UA_FIRST), R.choice(UA_LAST)
        return "%s %s" % (f, l), "%s.%s" % (UA_LATIN[f], UA_LATIN[l]), R.choice(UA_REGIONS)
    if k < 8:
        s, g, slug = R.choice(CN)
        return s + g, slug, R.choice(["Shanghai", "Beijing", "Kyiv"])
    f, l = R.choice(EN_FIRST), R.choice(EN_LAST)
    return "%s %s" % (f, l), "%s.%s" % (f.lower(), l.lower()), R.choice(["London", "Kyiv"])


def phone_for(region):
    if region in ("Shanghai", "Beijing"):
        return cn_mobile()
    if region == "London":
        return uk_phone()
    return ua_mobile()


def email(slug, n):
    e = "%s%d@%s" % (slug, n, R.choice(DOMAINS))
    return R.choice([e, e.capitalize(), " %s " % e, e.upper()]) if n % 4 else e


HOSPITALS = {"ua": ["Міська клінічна лікарня №%d", "Обласна лікарня №%d",
                     "Медичний центр «Здоров'я %d»"],
             "cn": ["上海第%d人民医院", "北京协和医院分院 %d"],
             "en": ["St Mary's Hospital %d", "City Clinic %d"]}
PHARMACIES = {"ua": ["Аптека «Подорожник» №%d", "Аптека Доброго Дня №%d",
                     "Аптека «Бажаємо здоров'я» %d", "Аптека «АНЦ» №%d"],
              "cn": ["老百姓大药房 %d", "同仁堂药店 %d"],
              "en": ["Boots Pharmacy %d", "Lloyds Pharmacy %d"]}


def culture(region):
    return "cn" if region in ("Shanghai", "Beijing") else "en" if region == "London" else "ua"


def named(table, region, i):
    names = table[culture(region)]
    return names[i % len(names)] % (i + 1)


def hcp(i):
    name, slug, region = person(i)
    org = named(HOSPITALS, region, i)
    phones = [phone_for(region)]
    if region in AREA and i % 3 == 0:
        phones.append(ua_landline(region))
    lic = unique(lambda: "licence:UA-MED-%06d" % R.randrange(10 ** 6))
    return ["hcp", "Dr " + name if i % 10 >= 8 else name, org, R.choice(SPECIALTIES), region,
            email(slug, i + 100), ";".join(phones), lic]


def hco(i):
    region = R.choice(UA_REGIONS + ["Shanghai", "London"])
    name = named(HOSPITALS, region, i)
    ph = ua_landline(region) if region in AREA else phone_for(region)
    reg = unique(lambda: "edrpou:%08d" % R.randrange(10 ** 8))
    return ["hco", name, name, "", region, "info%d@hospital%d.example.org" % (i, i % 7), ph, reg]


def pharmacy(i):
    region = R.choice(UA_REGIONS + ["Beijing", "London"])
    name = named(PHARMACIES, region, i)
    phones = [ua_landline(region) if region in AREA else phone_for(region)]
    if i % 2 and region in AREA:
        phones.append(ua_mobile())
    lic = unique(lambda: "pharmacy-licence:UA-PH-%05d" % R.randrange(10 ** 5))
    return ["pharmacy", name, name.rstrip("0123456789 №"), "", region,
            "apteka%d@example.net" % i if i % 3 else "", ";".join(phones), lic]


def patient(i):
    name, slug, region = person(i + 3)
    phone = phone_for(region)
    em = email(slug, i + 500) if i % 5 else ""
    if i % 7 == 0:
        em = '"%s" <%s>' % (name, em.strip() or "%s%d@example.com" % (slug, i))
    return ["patient", name, "", "", region, em, phone, ""]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "demo-data.csv")
    rows = []
    for make in (hcp, hco, pharmacy, patient):
        rows += [make(i) for i in range(50)]
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["type", "name", "organisation", "specialty", "region", "emails", "phones",
                    "external_ids"])
        w.writerows(rows)
    print("%s: %d customers" % (out, len(rows)))


if __name__ == "__main__":
    main()
