"""The national authorized-domain list format (domain.md §1.2)."""

from __future__ import annotations

import pytest

from mailserver.trust import (
    TrustEntry,
    TrustList,
    TrustListError,
    TrustSpace,
    parse_trust_list,
    render_trust_list,
)

SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
  <DateDeGeneration>2025-03-13T14:54:10Z</DateDeGeneration>
  <ListeDomaines>
    <Domaine><Nom>15-20.mssante.fr</Nom><Description>Domaine</Description>
      <DNCertificatOperateur>CN=a.example,OU=1,O=Op A,ST=Paris (75),C=FR</DNCertificatOperateur>
      <ResponsableContact>01, a@b</ResponsableContact><SupportContact>02, c@d</SupportContact>
      <DateMAJ>2025-03-12T10:00:00Z</DateMAJ></Domaine>
    <Domaine><Nom>15-20.MSSANTE.FR</Nom><Description>Domaine</Description>
      <DNCertificatOperateur>CN=b.example, OU=2, O=Op B, ST=Paris (75), C=FR</DNCertificatOperateur>
      <ResponsableContact/><SupportContact/><DateMAJ>2025-03-12T10:00:00Z</DateMAJ></Domaine>
    <Domaine><Nom>hôpital.example</Nom><Description/>
      <DNCertificatOperateur>CN=c.example,O=Op C,C=FR</DNCertificatOperateur>
      <ResponsableContact/><SupportContact/><DateMAJ/></Domaine>
  </ListeDomaines>
</ListeBlancheMSSante>""".encode()


def test_entries_of_one_domain_are_merged() -> None:
    tl = parse_trust_list(SAMPLE)
    assert tl.generated == "2025-03-13T14:54:10Z"
    assert len(tl.dns_for("15-20.mssante.fr")) == 2
    assert tl.allows("15-20.mssante.fr", "CN=b.example,OU=2,O=Op B,ST=Paris (75),C=FR")
    assert tl.allows("15-20.mssante.fr", "cn=a.example, OU=1,O=Op A,ST=Paris (75),C=FR")
    assert not tl.allows("15-20.mssante.fr", "CN=c.example,O=Op C,C=FR")
    assert tl.is_listed("xn--hpital-ixa.example") and tl.is_listed("HÔPITAL.example")
    assert not tl.is_listed("outside.example")


def test_round_trip_through_the_national_format() -> None:
    entries = [TrustEntry("a.test", "CN=mail.a.test,OU=0,O=A,ST=Paris (75),C=FR"),
               TrustEntry("b.test", "CN=mail.b.test,OU=0,O=B,ST=Paris (75),C=FR")]
    tl = parse_trust_list(render_trust_list(entries))
    assert tl.domains == ["a.test", "b.test"]
    assert tl.allows("b.test", entries[1].dn)


@pytest.mark.parametrize("data, message", [
    (b"<not xml", "not well-formed"),
    (b"<Other xmlns='https://listeblanche.mssante.fr/schema'/>", "root element"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "DTD"),
    (b"<ListeBlancheMSSante xmlns='https://listeblanche.mssante.fr/schema'><ListeDomaines>"
     b"<Domaine><Nom>a.test</Nom></Domaine></ListeDomaines></ListeBlancheMSSante>",
     "DNCertificatOperateur"),
])
def test_malformed_lists_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(TrustListError, match=message):
        parse_trust_list(data)


def test_trust_space_local_domains_are_trusted() -> None:
    space = TrustSpace(TrustList(), ["hopital.test"])
    assert space.is_trusted("HOPITAL.test") and not space.is_trusted("other.test")
    space.replace(parse_trust_list(SAMPLE))
    assert space.is_trusted("15-20.mssante.fr")
