"""Reading mail in Chromium: the patient's conversation list and a hostile message opened
in the sandboxed frame. axe-core finds no serious violation, no script of the message
runs, nothing is requested outside our origin, screenshots at 1280 and 375 px."""

from __future__ import annotations

from mailserver.services import MailServices
from tests.conftest import DOCTOR, PATIENT
from tests.e2e.conftest import Visit
from tests.e2e.test_e2e_pages import check

HOSTILE = (f'From: "Dr Jean MARTIN" <{DOCTOR}>\r\nTo: {PATIENT}\r\n'
           "Subject: Vos résultats d'analyse\r\nMessage-ID: <e2e-hostile@hopital.test>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
           "--zz\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           "<p>Bonjour, vos résultats sont <b>normaux</b>.</p>"
           "<script>parent.window.__xss = 1</script>"
           "<img src=x onerror='parent.window.__xss = 2'>"
           "<img src='https://tracker.example/pixel.gif'>"
           "<div style='position:fixed;top:0;left:0;width:100%;height:100%;background:red'>"
           "overlay</div>"
           "<svg><animate onbegin='parent.window.__xss = 3' attributeName=x dur=1s />"
           "</svg><a href='javascript:parent.window.__xss=4'>lien</a>\r\n"
           "--zz\r\nContent-Type: application/pdf\r\n"
           'Content-Disposition: attachment; filename="<img src=x onerror=alert(1)>.pdf"\r\n'
           "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--zz--\r\n").encode()


async def deliver_hostile(services: MailServices) -> None:
    doctor = await services.store.get_account(DOCTOR)
    patient = await services.store.get_account(PATIENT)
    assert patient is not None
    inbox = await services.store.get_folder(patient.id, "INBOX")
    assert inbox is not None
    if not await services.store.list_messages(inbox.id):
        await services.delivery.deliver(HOSTILE, mail_from=DOCTOR, recipients=[patient],
                                        sender=doctor)


def test_patient_opens_a_hostile_message(visit: Visit) -> None:
    visit.live.run(deliver_hostile(visit.live.services))  # type: ignore[arg-type]
    visit.log_in(PATIENT)
    row = visit.page.get_by_role("link", name="Vos résultats d'analyse")
    assert row.is_visible() and "Dr Jean MARTIN" in row.inner_text()
    check(visit, "inbox-patient")
    row.click()
    visit.page.wait_for_load_state()
    assert visit.page.get_by_role("heading", level=1).inner_text() == \
        "Vos résultats d'analyse"
    frame = visit.page.frame_locator("iframe[title='Contenu du message']")
    assert "normaux" in frame.locator("body").inner_text()
    visit.page.get_by_role("link", name="<img src=x onerror=alert(1)>.pdf").wait_for()
    visit.page.wait_for_timeout(300)
    assert visit.page.evaluate("window.__xss") is None
    # the overlay stays inside the frame: the app's own buttons are still reachable
    visit.page.get_by_role("button", name="Supprimer").first.wait_for()
    assert visit.page.evaluate(
        "(() => { const b = [...document.querySelectorAll('button')].find("
        "x => x.textContent.trim() === 'Supprimer'); b.scrollIntoView({block: 'center'});"
        " const r = b.getBoundingClientRect();"
        " return document.elementFromPoint(r.x + 2, r.y + 2) === b; })()")
    check(visit, "conversation-patient")


async def deliver_news(services: MailServices, subject: str) -> None:
    doctor = await services.store.get_account(DOCTOR)
    patient = await services.store.get_account(PATIENT)
    assert patient is not None
    raw = (f'From: "Dr Jean MARTIN" <{DOCTOR}>\r\nTo: {PATIENT}\r\nSubject: {subject}\r\n'
           f"Message-ID: <{subject.replace(' ', '-')}@hopital.test>\r\n\r\nNouvelles.\r\n")
    await services.delivery.deliver(raw.encode(), mail_from=DOCTOR, recipients=[patient],
                                    sender=doctor)


def test_new_mail_appears_without_reload(visit: Visit) -> None:
    """Server-sent events: a delivery shows in the open inbox within 2 s, announced."""
    visit.log_in(PATIENT)
    visit.page.wait_for_timeout(500)  # the page's EventSource is connected
    subject = f"Rappel de rendez-vous {visit.page.viewport_size['width']}"
    visit.live.run(deliver_news(visit.live.services, subject))  # type: ignore[arg-type]
    visit.page.get_by_role("link", name=subject).wait_for(timeout=2000)
    assert visit.page.get_by_role("status").inner_text() == "Nouveau message reçu."
    assert not visit.foreign_requests(), visit.foreign_requests()
