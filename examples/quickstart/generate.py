#!/usr/bin/env python3
"""Generate the quick-start sample database ``shop.db`` for datamask.

Dev tool only (needs Faker: ``pip install faker``); it is not part of datamask.
The output is deterministic: Faker and ``random`` are seeded with 42 and every
date is drawn from a fixed window, so running this script twice produces a
byte-identical ``shop.db``.

Usage:  python3 generate.py            (writes shop.db next to this script)
"""

import datetime as dt
import os
import random
import sqlite3
import unicodedata

from faker import Faker

SEED = 42
N_CUSTOMERS = 1000
N_PRODUCTS = 50
N_ORDERS = 3000

HERE = os.path.dirname(os.path.abspath(__file__))
DB_PATH = os.path.join(HERE, "shop.db")

# Locale -> ISO country code, with the share of customers from each locale.
LOCALES = [("en_US", "US", 0.70), ("de_DE", "DE", 0.10), ("fr_FR", "FR", 0.10), ("es_ES", "ES", 0.10)]

# Fixed time windows (never "now").
BIRTH_START = dt.date(1950, 1, 1)
BIRTH_END = dt.date(2005, 12, 31)
CREATED_START = dt.datetime(2019, 1, 1, 0, 0, 0)
CREATED_END = dt.datetime(2023, 12, 31, 23, 59, 59)
ORDERS_END = dt.datetime(2024, 12, 31, 23, 59, 59)

STATUSES = ["delivered"] * 12 + ["shipped"] * 3 + ["processing"] * 2 + ["pending", "cancelled", "refunded"]

ADJECTIVES = ["Classic", "Deluxe", "Compact", "Rugged", "Vintage", "Modern", "Ergonomic", "Portable",
              "Wireless", "Organic", "Premium", "Eco", "Smart", "Handmade", "Ultra"]
MATERIALS = ["Cotton", "Steel", "Bamboo", "Leather", "Ceramic", "Wool", "Aluminium", "Oak", "Glass", "Linen"]
NOUNS = ["Backpack", "Water Bottle", "Desk Lamp", "Notebook", "Headphones", "Coffee Mug", "T-Shirt",
         "Cutting Board", "Blanket", "Phone Case", "Wallet", "Sneakers", "Umbrella", "Keyboard", "Tote Bag",
         "Sunglasses", "Teapot", "Scarf", "Pillow", "Watch"]

SCHEMA = """
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    first_name  VARCHAR(40)  NOT NULL,
    last_name   VARCHAR(40)  NOT NULL,
    email       VARCHAR(120) NOT NULL UNIQUE,
    phone       VARCHAR(32),
    ssn         CHAR(11),
    birth_date  DATE,
    street      VARCHAR(120),
    city        VARCHAR(60),
    postcode    VARCHAR(12),
    country     CHAR(2),
    card_number VARCHAR(19),
    created_at  TIMESTAMP,
    notes       TEXT
);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    sku         VARCHAR(20) NOT NULL UNIQUE,
    name        VARCHAR(80) NOT NULL,
    price_cents INTEGER     NOT NULL
);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    customer_id    INTEGER      NOT NULL REFERENCES customers(id),
    ordered_at     TIMESTAMP    NOT NULL,
    status         VARCHAR(16)  NOT NULL,
    total_cents    INTEGER      NOT NULL,
    shipping_email VARCHAR(120)
);

CREATE INDEX orders_customer_idx ON orders(customer_id);

CREATE TABLE order_items (
    order_id   INTEGER NOT NULL REFERENCES orders(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity   INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
"""


def ascii_slug(text):
    """Lower-case ASCII form of a name for use in an e-mail local part."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in norm.lower() if ch.isalnum())


def random_date(start, end):
    return start + dt.timedelta(days=random.randint(0, (end - start).days))


def random_datetime(start, end):
    span = int((end - start).total_seconds())
    return start + dt.timedelta(seconds=random.randint(0, span))


def fmt_ts(value):
    return value.strftime("%Y-%m-%d %H:%M:%S")


def luhn_check_digit(digits):
    """Check digit that makes ``digits + [check]`` pass the Luhn test."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def card_number():
    """A Luhn-valid 16-digit Visa-style test number, formatted dddd-dddd-dddd-dddd."""
    digits = [4] + [random.randint(0, 9) for _ in range(14)]
    digits.append(luhn_check_digit(digits))
    s = "".join(map(str, digits))
    return "-".join(s[i:i + 4] for i in range(0, 16, 4))


def ssn():
    area = random.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{random.randint(1, 99):02d}-{random.randint(1, 9999):04d}"


def pick_locale():
    r = random.random()
    acc = 0.0
    for locale, country, share in LOCALES:
        acc += share
        if r < acc:
            return locale, country
    return LOCALES[-1][:2]


def make_customers(fake):
    rows = []
    emails = set()
    domains = ["example.com", "example.org", "example.net", "mail.example.com"]
    for cid in range(1, N_CUSTOMERS + 1):
        locale, country = pick_locale()
        f = fake[locale]
        first = f.first_name()
        last = f.last_name()
        base = f"{ascii_slug(first)}.{ascii_slug(last)}"
        email = f"{base}@{random.choice(domains)}"
        n = 1
        while email in emails:
            n += 1
            email = f"{base}{n}@{random.choice(domains)}"
        emails.add(email)
        phone = f.phone_number() if random.random() < 0.85 else None
        notes = f.sentence(nb_words=random.randint(5, 12)) if random.random() < 0.25 else None
        rows.append((
            cid,
            first,
            last,
            email,
            phone,
            ssn(),
            random_date(BIRTH_START, BIRTH_END).isoformat(),
            f.street_address().strip(),
            f.city().strip(),
            f.postcode(),
            country,
            card_number(),
            fmt_ts(random_datetime(CREATED_START, CREATED_END)),
            notes,
        ))
    return rows


def make_products():
    rows = []
    names = set()
    pid = 0
    while pid < N_PRODUCTS:
        name = f"{random.choice(ADJECTIVES)} {random.choice(MATERIALS)} {random.choice(NOUNS)}"
        if name in names:
            continue
        names.add(name)
        pid += 1
        price = random.randint(3, 250) * 100 - random.choice([0, 1, 5, 51])
        rows.append((pid, f"SKU-{pid:05d}", name, price))
    return rows


def make_orders(fake, customers, products):
    price = {p[0]: p[3] for p in products}
    product_ids = list(price)
    orders, items = [], []
    created = {c[0]: dt.datetime.strptime(c[12], "%Y-%m-%d %H:%M:%S") for c in customers}
    email = {c[0]: c[3] for c in customers}
    for oid in range(1, N_ORDERS + 1):
        cid = random.randint(1, N_CUSTOMERS)
        ordered_at = random_datetime(created[cid], ORDERS_END)
        n_items = random.choice([1, 1, 2, 2, 2, 3, 3])
        total = 0
        for pid in sorted(random.sample(product_ids, n_items)):
            qty = random.choice([1, 1, 1, 1, 2, 2, 3, 5])
            total += qty * price[pid]
            items.append((oid, pid, qty))
        r = random.random()
        if r < 0.80:
            ship = email[cid]
        elif r < 0.95:
            ship = fake["en_US"].safe_email()
        else:
            ship = None
        orders.append((oid, cid, fmt_ts(ordered_at), random.choice(STATUSES), total, ship))
    return orders, items


def main():
    Faker.seed(SEED)
    random.seed(SEED)
    fake = Faker([loc for loc, _, _ in LOCALES])

    customers = make_customers(fake)
    products = make_products()
    orders, items = make_orders(fake, customers, products)

    # Start from nothing so the file never carries state from a previous run.
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(DB_PATH + suffix):
            os.remove(DB_PATH + suffix)

    con = sqlite3.connect(DB_PATH)
    con.execute("PRAGMA foreign_keys=ON")
    con.executescript(SCHEMA)
    with con:
        con.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", customers)
        con.executemany("INSERT INTO products VALUES (?,?,?,?)", products)
        con.executemany("INSERT INTO orders VALUES (?,?,?,?,?,?)", orders)
        con.executemany("INSERT INTO order_items VALUES (?,?,?)", items)
    problems = con.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise SystemExit(f"foreign key violations: {problems[:5]}")
    con.execute("VACUUM")
    con.close()

    print(f"wrote {DB_PATH}: {len(customers)} customers, {len(products)} products, "
          f"{len(orders)} orders, {len(items)} order_items, {os.path.getsize(DB_PATH)} bytes")


if __name__ == "__main__":
    main()
