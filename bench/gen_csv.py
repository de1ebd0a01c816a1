#!/usr/bin/env python3
"""Write a deterministic customer-like CSV of about SIZE_MB megabytes.

Usage: bench/gen_csv.py OUT.csv [SIZE_MB]   (default 1000)

Columns: id, first_name, last_name, email, phone, ssn, iban, card, address, city, notes,
created_at. Values come from the row number through a fixed integer mix (no random module), so
the same size gives the same bytes everywhere. Rows are written until the file reaches the size.
"""
import sys

FIRST = ("James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
         "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
        "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White").split()
DOMAINS = "gmail.com yahoo.com outlook.com hotmail.com example.org mail.com".split()
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Lake Rd", "Hill St"]
CITIES = ["Springfield", "Riverside", "Franklin", "Greenville", "Bristol", "Salem", "Madison", "Dover"]
NOTES = ["Prefers email contact.", "Called about a late delivery, wants a call back.",
         "VIP since the spring campaign.", "", "Asked to update the billing address, see ticket",
         "Do not call before 10am.", "", "Gift wrapping on every order."]
MASK = (1 << 64) - 1


def mix(i):
    """splitmix64: well-spread 64 bits from the row number."""
    z = (i * 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def luhn_digit(digits):
    total = 0
    for pos, ch in enumerate(reversed(digits)):
        d = int(ch)
        if pos % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def row(i):
    h = mix(i)
    f, l = FIRST[h % 24], LAST[(h >> 5) % 24]
    bban = f"{(h >> 10) % 10**8:08d}{i % 10**10:010d}"
    check = 98 - int(bban + "131400") % 97
    card15 = f"4{(h >> 12) % 10**14:014d}"
    note = NOTES[(h >> 40) % 8]
    if note:
        note = f'"{note} Ref {h % 100000}, order #{i * 7 % 1000003}."'
    return (f"{i},{f},{l},{f.lower()}.{l.lower()}.{i}@{DOMAINS[(h >> 9) % 6]},"
            f"+1-{200 + (h >> 13) % 800}-{(h >> 23) % 1000:03d}-{(h >> 33) % 10000:04d},"
            f"{1 + (h >> 17) % 899:03d}-{1 + (h >> 27) % 99:02d}-{1 + (h >> 37) % 9999:04d},"
            f"DE{check:02d}{bban},{card15}{luhn_digit(card15)},"
            f"{1 + (h >> 45) % 9999} {STREETS[(h >> 50) % 8]},{CITIES[(h >> 53) % 8]},{note},"
            f"20{20 + (h >> 56) % 5}-{1 + (h >> 3) % 12:02d}-{1 + (h >> 7) % 28:02d}T"
            f"{(h >> 11) % 24:02d}:{(h >> 19) % 60:02d}:{(h >> 29) % 60:02d}Z\n")


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    limit = int(float(sys.argv[2] if len(sys.argv) == 3 else 1000) * 1e6)
    size, i = 0, 0
    with open(sys.argv[1], "w", newline="") as out:
        header = "id,first_name,last_name,email,phone,ssn,iban,card,address,city,notes,created_at\n"
        out.write(header)
        size = len(header)
        while size < limit:
            chunk = []
            for _ in range(10000):
                i += 1
                chunk.append(row(i))
            text = "".join(chunk)
            out.write(text)
            size += len(text)
    print(f"{sys.argv[1]}: {i} rows, {size / 1e6:.0f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
