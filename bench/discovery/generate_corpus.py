#!/usr/bin/env python3
"""Generates the labelled corpus that measures datamask discovery.

Dev tool only (needs Faker: ``pip install faker``). Deterministic for a given ``--seed``:
Faker and ``random`` are seeded and nothing depends on the clock or on set ordering.

The corpus is one SQLite database with one table per locale (en_US, en_GB, de_DE, fr_FR,
es_ES, it_IT, nl_NL, pl_PL, pt_PT, pt_BR). Each table holds

* sensitive columns: every type of shared/PII_TYPES.md that Faker (or a few lines here) can
  produce for the locale, under a column name drawn from a multilingual pool of names that
  people actually use (``Vorname``, ``prenom``, ``telefono``, ``emailAddress``...); a share of
  the columns whose values have a distinctive shape get an uninformative name (``col_7``,
  ``field3``, ``data``) so that values alone must carry them;
* decoys: columns whose names or values look sensitive and are not: counts, flags, statuses,
  version strings (four-part ones look like IPv4 addresses), SKUs of 16 digits that pass Luhn,
  order numbers shaped like US SSNs, EAN-13 barcodes, build hashes (40 hex digits, like a SHA-1
  password hash), timestamps, prices, rates, product descriptions without personal data...

Labels go to ``labels.json``: ``{"table.column": "type" | null}``. A label may be a list when
two types are equally right (a column of e-mail addresses used as log-in names).

Usage:  python3 generate_corpus.py --seed 1 --rows 150 --out DIR
"""

import argparse
import hashlib
import json
import os
import random
import sqlite3
import string
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

from faker import Faker  # noqa: E402

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT", "pt_BR"]

# Column names per type, several languages and styles. `{}` variants are rendered in the
# table's naming style (snake_case, camelCase or PascalCase).
NAMES = {
    "first_name": ["first_name", "firstname", "fname", "given_name", "forename", "vorname", "prenom",
                   "nombre", "nome", "voornaam", "imie", "primeiro_nome", "customer_first_name"],
    "last_name": ["last_name", "lastname", "surname", "family_name", "nachname", "nom_famille",
                  "apellido", "apellidos", "cognome", "achternaam", "nazwisko", "sobrenome", "lname"],
    "person_name": ["full_name", "name", "customer_name", "contact_name", "holder", "account_holder",
                    "nom_complet", "nombre_completo", "nome_completo", "volledige_naam",
                    "imie_nazwisko", "kundenname", "patient_name"],
    "email": ["email", "e_mail", "email_address", "mail", "correo", "courriel", "contact_email",
              "emailadres", "adres_email", "user_email", "billing_email"],
    "phone": ["phone", "phone_number", "tel", "telefon", "telephone", "mobile", "cell", "handy",
              "telefono", "telefoon", "telefone", "numer_telefonu", "contact_phone", "msisdn"],
    "street_address": ["address", "street", "street_address", "addr_line1", "strasse", "adresse",
                       "direccion", "indirizzo", "straat", "adres", "endereco", "ulica", "morada"],
    "postal_code": ["zip", "zipcode", "postcode", "postal_code", "plz", "code_postal",
                    "codigo_postal", "cap", "postcode_nl", "kod_pocztowy", "cep", "postleitzahl"],
    "city": ["city", "town", "ort", "stadt", "ville", "ciudad", "citta", "plaats", "miasto",
             "cidade", "localidade", "billing_city"],
    "region": ["state", "province", "region", "bundesland", "departement", "provincia", "regione",
               "provincie", "wojewodztwo", "estado", "distrito", "county"],
    "country": ["country", "land", "pays", "pais", "paese", "kraj", "country_name"],
    "date_of_birth": ["dob", "birth_date", "birthdate", "date_of_birth", "birthday", "geburtsdatum",
                      "date_naissance", "fecha_nacimiento", "data_nascita", "geboortedatum",
                      "data_urodzenia", "data_nascimento"],
    "age": ["age", "alter", "edad", "eta", "leeftijd", "wiek", "idade", "age_years"],
    "gender": ["gender", "sex", "geschlecht", "sexe", "sexo", "sesso", "geslacht", "plec", "genero"],
    "iban": ["iban", "iban_code", "konto_iban", "rib", "cuenta_iban", "bank_iban",
             "rekeningnummer", "numer_konta"],
    "credit_card": ["card_number", "cc_number", "credit_card", "pan", "kreditkarte",
                    "numero_carte", "tarjeta", "carta_credito", "card_no"],
    "card_security": ["cvv", "cvc", "card_cvv", "security_code", "cvv2"],
    "ssn": ["ssn", "social_security_number", "social_security", "ssn_number"],
    "national_id": ["national_id", "nino", "ni_number", "nir", "numero_securite_sociale", "dni",
                    "nif", "codice_fiscale", "bsn", "burgerservicenummer", "pesel", "cpf",
                    "id_number", "tax_id", "numero_contribuinte"],
    "ip_address": ["ip", "ip_address", "client_ip", "remote_addr", "last_login_ip", "ip_addr",
                   "source_ip"],
    "mac_address": ["mac", "mac_address", "hw_addr", "bssid", "device_mac"],
    "device_id": ["device_id", "idfa", "gaid", "advertising_id", "imei", "device_uuid"],
    "url": ["url", "website", "homepage", "profile_url", "link", "web", "blog_url"],
    "username": ["username", "user_name", "login", "handle", "screen_name", "nickname",
                 "benutzername", "nom_utilisateur", "usuario", "gebruikersnaam"],
    "password": ["password", "passwd", "pwd", "password_hash", "passwort", "mot_de_passe",
                 "contrasena", "wachtwoord", "haslo", "senha"],
    "coordinates": ["lat", "latitude", "lng", "lon", "longitude", "geo_lat", "geo_lng",
                    "breitengrad", "laengengrad"],
    "swift_bic": ["bic", "swift", "swift_code", "bic_code"],
    "identity_document": ["passport", "passport_number", "passport_no", "reisepass", "passeport",
                          "pasaporte", "passaporto", "paspoort", "paszport", "passaporte",
                          "id_card_number", "dowod_osobisty"],
    "vehicle_id": ["vin", "license_plate", "plate", "kennzeichen", "immatriculation", "matricula",
                   "targa", "kenteken", "numer_rejestracyjny", "placa"],
    "secret": ["api_key", "access_token", "secret", "token", "access_key", "private_key",
               "auth_token", "refresh_token"],
    "money": ["salary", "income", "wage", "annual_income", "gehalt", "salaire", "salario",
              "stipendio", "salaris", "wynagrodzenie", "balance", "credit_limit"],
    "free_text": ["notes", "comment", "comments", "remarks", "description", "message", "bio",
                  "notiz", "bemerkung", "commentaire", "comentario", "nota", "opmerking",
                  "uwagi", "observacoes", "support_message"],
    "crypto_wallet": ["wallet", "eth_address", "wallet_address", "crypto_address"],
}

# Types whose values are personal data by their shape alone, so that a person would flag the
# column without its name: these sometimes get an uninformative name. (A UUID or a URL is not
# personal by shape: without a name such as `device_id` or `homepage` nobody could tell a
# device id from a request id, or a profile page from a product image.)
DISTINCTIVE = {"email", "phone", "iban", "credit_card", "ssn", "national_id", "ip_address",
               "mac_address", "first_name", "last_name", "person_name", "city",
               "street_address", "crypto_wallet", "secret"}
ANONYMOUS = ["col_{n}", "field{n}", "attr_{n}", "data{n}", "value_{n}", "c{n}", "x{n}", "info{n}"]


def luhn_digit(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def luhn_number(rng, length, prefix=""):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn_digit(body)


def eth_address(rng):
    return "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))


def api_key(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    if kind == 1:
        return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    if kind == 2:
        return "sk_live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
    return "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(40))


def nino(rng):
    """A UK National Insurance number. (Faker's en_GB `ssn` always uses the reserved prefix
    ZZ, which no real number has.)"""
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    while True:
        second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
        if first + second not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
            break
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    return f"{first}{second}{digits}{suffix}"


def nif_pt(rng):
    """A Portuguese NIF with its mod-11 check digit (Faker's pt_PT `vat_id` has random ones)."""
    body = [rng.choice([1, 2, 5, 6, 9])] + [rng.randint(0, 9) for _ in range(7)]
    r = sum(d * w for d, w in zip(body, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
    return "".join(map(str, body)) + str(0 if r < 2 else 11 - r)


def steuer_id(rng):
    """A German tax id (Steuer-IdNr.) with its ISO 7064 check digit."""
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(9)]
        counts = sorted((d.count(x) for x in set(d)), reverse=True)
        if counts[0] in (2, 3) and counts.count(counts[0]) == 1:
            break
    product = 10
    for x in d:
        total = (x + product) % 10 or 10
        product = (total * 2) % 11
    return "".join(map(str, d)) + str((11 - product) % 10)


def national_id(fake, rng, loc):
    """A national id of the locale, or None when there is none to make."""
    if loc == "en_GB":
        return nino(rng)
    if loc == "de_DE":
        return steuer_id(rng)
    if loc in ("fr_FR", "it_IT", "nl_NL"):
        return fake.ssn()
    if loc == "es_ES":
        return fake.nif() if rng.random() < 0.7 else fake.nie()
    if loc == "pl_PL":
        return fake.pesel()
    if loc == "pt_BR":
        return fake.cpf()
    if loc == "pt_PT":
        return nif_pt(rng)
    return None


def free_text(fake, rng):
    """Support notes: most are plain sentences, some mention a person, an e-mail or a phone."""
    r = rng.random()
    s = fake.sentence(nb_words=rng.randint(6, 16))
    if r < 0.12:
        return f"{s} Contact {fake.email()} for details."
    if r < 0.22:
        return f"Called back on {fake.phone_number()}. {s}"
    if r < 0.32:
        return f"{fake.name()} asked about the invoice. {s}"
    return s


def sensitive_columns(fake, rng, loc, rows):
    """(type, sql type, value function) for each sensitive column of a locale's table."""
    cols = [
        ("first_name", "VARCHAR(60)", lambda: fake.first_name()),
        ("last_name", "VARCHAR(80)", lambda: fake.last_name()),
        ("person_name", "VARCHAR(120)", lambda: fake.name()),
        ("email", "VARCHAR(120)", lambda: fake.email()),
        ("phone", "VARCHAR(40)", lambda: fake.phone_number()),
        ("street_address", "VARCHAR(160)", lambda: fake.street_address()),
        ("postal_code", "VARCHAR(12)", lambda: fake.postcode()),
        ("city", "VARCHAR(80)", lambda: fake.city()),
        ("region", "VARCHAR(80)", lambda: fake.administrative_unit()),
        ("date_of_birth", "DATE", lambda: fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat()),
        ("age", "INTEGER", lambda: rng.randint(18, 90)),
        ("gender", "VARCHAR(10)", lambda: rng.choice(["F", "M", "X"] if rng.random() < 0.5 else ["female", "male"])),
        ("iban", "VARCHAR(34)", lambda: fake.iban()),
        ("credit_card", "VARCHAR(19)", lambda: fake.credit_card_number()),
        ("card_security", "VARCHAR(4)", lambda: fake.credit_card_security_code()),
        ("ip_address", "VARCHAR(45)", lambda: fake.ipv4() if rng.random() < 0.8 else fake.ipv6()),
        ("mac_address", "VARCHAR(17)", lambda: fake.mac_address()),
        ("device_id", "VARCHAR(36)", lambda: str(fake.uuid4())),
        ("url", "VARCHAR(200)", lambda: fake.url() + rng.choice(["", "about", "u/" + fake.user_name()])),
        ("username", "VARCHAR(40)", lambda: fake.user_name() + str(rng.randint(0, 999))),
        ("password", "VARCHAR(64)", lambda: hashlib.sha256(fake.password().encode()).hexdigest()),
        ("coordinates", "REAL", lambda: float(fake.latitude())),
        ("swift_bic", "VARCHAR(11)", lambda: fake.swift(length=rng.choice([8, 11]))),
        ("identity_document", "VARCHAR(12)", lambda: fake.passport_number()),
        ("vehicle_id", "VARCHAR(17)", lambda: fake.vin() if rng.random() < 0.5 else fake.license_plate()),
        ("secret", "VARCHAR(64)", lambda: api_key(rng)),
        ("money", "DECIMAL(12,2)", lambda: round(rng.uniform(18000, 160000), 2)),
        ("free_text", "TEXT", lambda: free_text(fake, rng)),
        ("crypto_wallet", "VARCHAR(42)", lambda: eth_address(rng)),
    ]
    if loc == "en_US":
        cols.append(("ssn", "VARCHAR(11)", lambda: fake.ssn()))
    if national_id(fake, rng, loc) is not None:
        cols.append(("national_id", "VARCHAR(20)", lambda: national_id(fake, rng, loc)))
    # Vehicle ids mix VINs and plates only in some tables; keep one kind per column.
    return cols


def decoy_columns(fake, rng):
    """(name pool, sql type, value function) for columns that are not personal data."""
    statuses = ["new", "paid", "shipped", "cancelled", "returned"]
    return [
        (["login_count", "visit_count", "anzahl_logins", "nb_visites", "num_pedidos"], "INTEGER",
         lambda: rng.randint(0, 500)),
        (["is_active", "email_verified", "phone_verified", "opt_in", "newsletter_opt_in"], "INTEGER",
         lambda: rng.randint(0, 1)),
        (["status", "order_status", "estado_pedido", "statut"], "VARCHAR(12)", lambda: rng.choice(statuses)),
        (["app_version", "client_version", "firmware_version", "schema_version"], "VARCHAR(16)",
         lambda: ".".join(str(rng.randint(0, 20)) for _ in range(rng.choice([3, 4])))),
        (["sku", "product_sku", "article_code"], "VARCHAR(16)", lambda: luhn_number(rng, 16)),
        (["order_number", "order_no", "ticket_ref", "invoice_number"], "VARCHAR(11)",
         lambda: f"{rng.randint(100, 899):03d}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"),
        (["ean", "barcode", "gtin"], "VARCHAR(13)", lambda: fake.ean13()),
        (["build_hash", "commit_sha", "git_revision"], "VARCHAR(40)",
         lambda: hashlib.sha1(str(rng.random()).encode()).hexdigest()),
        (["created_at", "updated_at", "last_modified"], "TIMESTAMP",
         lambda: fake.date_time_between(start_date="-3y", end_date="-1d").isoformat(sep=" ")),
        (["price", "unit_price", "amount", "total_amount"], "DECIMAL(10,2)",
         lambda: round(rng.uniform(1, 900), 2)),
        (["quantity", "qty", "items", "stock_level"], "INTEGER", lambda: rng.randint(1, 40)),
        (["conversion_rate", "discount_pct", "tax_rate", "ratio"], "REAL",
         lambda: round(rng.uniform(0, 1), 4)),
        (["product_name", "item_title", "produktname"], "VARCHAR(80)",
         lambda: f"{fake.word().capitalize()} {rng.choice(['Pro', 'Mini', 'Max', 'Lite', 'Plus'])} {rng.randint(2, 9000)}"),
        (["company", "supplier", "vendor_name"], "VARCHAR(120)", lambda: fake.company()),
        (["product_description", "summary", "release_notes"], "TEXT", lambda: fake.sentence(nb_words=12)),
        (["currency", "currency_code"], "VARCHAR(3)", lambda: fake.currency_code()),
        (["color", "colour", "farbe"], "VARCHAR(20)", lambda: fake.color_name()),
        (["warehouse_code", "branch_code", "store_id"], "VARCHAR(5)",
         lambda: f"{rng.randint(10000, 99999)}"),
        (["rating", "stars", "priority"], "INTEGER", lambda: rng.randint(1, 5)),
        (["file_checksum", "etag", "content_hash"], "VARCHAR(64)",
         lambda: hashlib.sha256(str(rng.random()).encode()).hexdigest()),
        (["http_status", "error_code", "response_code"], "INTEGER", lambda: rng.choice([200, 201, 404, 500])),
        (["timezone", "tz"], "VARCHAR(40)", lambda: fake.timezone()),
        (["mime_type", "content_type"], "VARCHAR(40)", lambda: fake.mime_type()),
        (["language", "lang", "locale"], "VARCHAR(5)", lambda: fake.language_code()),
        (["job_title", "department"], "VARCHAR(80)", lambda: fake.job()),
        (["weight_kg", "height_cm", "duration_ms"], "REAL", lambda: round(rng.uniform(0.1, 200), 3)),
        (["session_count", "retry_count", "error_count"], "INTEGER", lambda: rng.randint(0, 30)),
        (["file_name", "attachment", "image_path"], "VARCHAR(120)", lambda: fake.file_name()),
        (["tracking_id", "shipment_ref"], "VARCHAR(20)",
         lambda: "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(14))),
        (["year", "model_year", "fiscal_year"], "INTEGER", lambda: rng.randint(1995, 2025)),
    ]


def style(name, how):
    parts = name.split("_")
    if how == "camel":
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    if how == "pascal":
        return "".join(p.capitalize() for p in parts)
    if how == "upper":
        return name.upper()
    return name


def build_table(seed, loc, rows):
    rng = random.Random(f"{seed}-{loc}")
    fake = Faker(loc)
    fake.seed_instance(seed * 7919 + LOCALES.index(loc))
    how = rng.choice(["snake", "snake", "snake", "camel", "pascal", "upper"])
    columns = []  # (name, sql type, label, value function)
    used = set()
    anon = 1

    def unique_name(name):
        base, n = name, 2
        while name.lower() in used:
            name = f"{base}_{n}"
            n += 1
        used.add(name.lower())
        return name

    for label, sql_type, fn in sensitive_columns(fake, rng, loc, rows):
        if label in DISTINCTIVE and rng.random() < 0.2:
            name = rng.choice(ANONYMOUS).format(n=anon)
            anon += 1
        else:
            name = style(rng.choice(NAMES[label]), how)
        columns.append((unique_name(name), sql_type, label, fn))
    for pool, sql_type, fn in decoy_columns(fake, rng):
        columns.append((unique_name(style(rng.choice(pool), how)), sql_type, None, fn))
    rng.shuffle(columns)
    table = f"people_{loc.lower()}"
    data = []
    for _ in range(rows):
        row = []
        for _, _, label, fn in columns:
            # Optional columns have gaps, as real ones do.
            row.append(None if label and rng.random() < 0.08 else fn())
        data.append(row)
    return table, columns, data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rows", type=int, default=150)
    ap.add_argument("--out", default="corpus")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    db = os.path.join(args.out, "corpus.db")
    if os.path.exists(db):
        os.remove(db)
    conn = sqlite3.connect(db)
    labels = {}
    for loc in LOCALES:
        table, columns, data = build_table(args.seed, loc, args.rows)
        defs = ", ".join(f'"{n}" {t}' for n, t, _, _ in columns)
        conn.execute(f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY, {defs})')
        marks = ", ".join("?" for _ in range(len(columns) + 1))
        conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})',
                         [[i + 1] + row for i, row in enumerate(data)])
        labels[f"{table}.id"] = None
        for n, _, label, _ in columns:
            labels[f"{table}.{n}"] = label
    conn.commit()
    conn.execute("VACUUM")
    conn.close()
    with open(os.path.join(args.out, "labels.json"), "w", encoding="utf-8") as f:
        json.dump(labels, f, indent=0, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    n_sensitive = sum(1 for v in labels.values() if v)
    print(f"wrote {db}: {len(LOCALES)} tables, {len(labels)} columns "
          f"({n_sensitive} sensitive, {len(labels) - n_sensitive} not), {args.rows} rows each",
          file=sys.stderr)


if __name__ == "__main__":
    main()
