"""The sentences of the letters, per language: Dutch as Flemish people write it (``u``),
French as Belgians write it (``Madame, Monsieur``, the non-breaking space before ``:``),
and English. Placeholders are ``str.format`` fields filled by :mod:`dsr_core.answer.compose`.
"""

from __future__ import annotations

NBSP = "\u00a0"

# Art. 20(1) and (2): the subject may pass the data on, or have it sent directly "where
# technically feasible" (said, so that the letter promises no more than the Regulation asks).
PORTABILITY_NL = (
    " U mag die gegevens aan een andere organisatie bezorgen. Wilt u dat wij ze rechtstreeks "
    "aan die organisatie bezorgen, laat het ons dan weten: wij doen dat als het technisch "
    "mogelijk is (artikel 20, lid 2, AVG)."
)
PORTABILITY_EN = (
    " You may pass it on to another organisation. If you would like us to send it to that "
    "organisation directly, let us know: we will do so where this is technically feasible "
    "(Article 20(2) GDPR)."
)
PORTABILITY_FR = (
    " Vous pouvez les transmettre à un autre organisme. Si vous souhaitez que nous les lui "
    "transmettions directement, faites-le-nous savoir{NBSP}: nous le ferons si c'est "
    "techniquement possible (article 20, paragraphe 2, du RGPD)."
)

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "reference": "Betreft: uw verzoek van {received} (ons dossiernummer {id})",
        "salutation": "Beste {name},",
        "salutation_anonymous": "Geachte mevrouw, geachte heer,",
        "closing": "Met vriendelijke groeten,",
        "intro": "Op {received} ontvingen wij uw verzoek {kind} (artikel {article} van de "
        "Algemene Verordening Gegevensbescherming, AVG).",
        "kind.access": "om inzage in uw persoonsgegevens",
        "kind.portability": "om uw persoonsgegevens in een overdraagbare vorm te ontvangen",
        "kind.erasure": "om uw persoonsgegevens te wissen",
        "kind.rectification": "om uw persoonsgegevens te verbeteren",
        "kind.restriction": "om de verwerking van uw persoonsgegevens te beperken",
        "kind.objection": "waarmee u bezwaar maakt tegen direct marketing",
        "access": "In het bijgevoegde bestand {file} vindt u een kopie van de persoonsgegevens "
        "die wij over u bewaren.",
        "access.none": "Bij deze brief vindt u een kopie van de persoonsgegevens die wij over u "
        "bewaren.",
        "portability": "In het bijgevoegde bestand {file} vindt u de persoonsgegevens die u ons "
        "zelf hebt bezorgd, in een gestructureerde, gangbare en machineleesbare vorm (JSON en "
        f"CSV).{PORTABILITY_NL}",
        "portability.none": "Bij deze brief vindt u de persoonsgegevens die u ons zelf hebt "
        "bezorgd, in een gestructureerde, gangbare en machineleesbare vorm (JSON en "
        f"CSV).{PORTABILITY_NL}",
        "open": "Open eerst het bestand report.html in het zipbestand. Het opent in elke "
        "webbrowser en legt uit waarvoor wij uw gegevens gebruiken, van wie wij ze kregen, aan "
        "wie wij ze doorgaven, hoe lang wij ze bewaren en welke rechten u hebt. De gegevens zelf "
        "staan in de map data, met een submap per systeem, als JSON- en CSV-bestanden. Een "
        "CSV-bestand opent u in een rekenblad zoals Excel of LibreOffice Calc.",
        "encrypted": "Het bestand is versleuteld (AES-256). Windows en macOS kunnen het niet "
        "zelf openen: gebruik 7-Zip (Windows), Keka (macOS) of WinZip. Het wachtwoord krijgt u "
        "apart van ons, niet samen met dit bericht (bijvoorbeeld telefonisch of per sms).",
        "erasure": "Wij hebben uw verzoek uitgevoerd. Dit hebben wij per systeem gedaan:",
        "erasure.nothing": "Wij vonden in onze systemen geen persoonsgegevens over u; er moest "
        "dus niets gewist worden.",
        "action.erased": "gewist",
        "action.anonymised": "geanonimiseerd",
        "action.restricted": "beperkt",
        "action.unrestricted": "beperking opgeheven",
        "action.opted_out": "uitgeschreven voor direct marketing",
        "action.rectified": "verbeterd",
        "action.unchanged": "was al in orde",
        "anonymised": "Geanonimiseerd wil zeggen: alles wat naar u verwijst, is verwijderd; wat "
        "overblijft, kan niet meer aan u gekoppeld worden.",
        "kept.heading": "Wat wij nog moeten bewaren",
        "kept.intro": "Een deel van uw gegevens mogen wij nog niet wissen, omdat een wettelijke "
        "verplichting ons oplegt ze te bewaren (artikel 17, lid 3, punt b, AVG). Hieronder leest "
        "u welke gegevens dat zijn, tot wanneer wij ze bewaren en op welke grond:",
        "kept.item": "{category} ({count}): wij bewaren ze tot en met {until}. Wettelijke grond: "
        "{basis}.",
        "kept.item.open": "{category} ({count}): wij bewaren ze zolang de wet dat vereist. "
        "Wettelijke grond: {basis}.",
        "kept.basis.unknown": "een wettelijke bewaarplicht",
        "kept.after": "Daarna wissen wij ze, zonder dat u het ons opnieuw moet vragen, tenzij de "
        "wet ons dan nog verplicht ze te bewaren. Tot dan gebruiken wij ze alleen om aan die "
        "wettelijke verplichting te voldoen.",
        "rectification": "Wij hebben uw persoonsgegevens verbeterd:",
        "rectification.none": "Uw gegevens bij ons waren al juist; er hoefde niets veranderd te "
        "worden.",
        "change": "{field}: {old} → {new}",
        "change.new": "{field}: nu {new}",
        "empty": "(leeg)",
        "restriction": "Wij hebben de verwerking van uw persoonsgegevens beperkt. Zolang de "
        "beperking geldt, bewaren wij uw gegevens alleen nog. Wij gebruiken ze "
        "enkel met uw toestemming, voor een rechtsvordering, om de rechten van een ander te "
        "beschermen of om gewichtige redenen van algemeen belang (artikel 18, lid 2, AVG).",
        "restriction.where": "De beperking geldt in: {systems}.",
        "restriction.notice": "Voordat wij de beperking opheffen, laten wij het u weten (artikel "
        "18, lid 3, AVG).",
        "lift": "Op uw verzoek van {received} hebben wij de verwerking van uw persoonsgegevens "
        "beperkt. Met deze brief laten wij u weten, zoals artikel 18, lid 3, AVG voorschrijft, dat "
        "wij die beperking opheffen.",
        "lift.reason": "De reden:",
        "lift.from": "Vanaf {on} verwerken wij uw gegevens weer zoals voordien. Hebt u daar "
        "bezwaar tegen, laat het ons dan weten.",
        "objection": "Wij hebben uw bezwaar genoteerd. Wij gebruiken uw persoonsgegevens niet "
        "meer voor direct marketing: u krijgt van ons geen reclame meer, per e-mail, telefoon "
        "of post (artikel 21, lid 3, AVG). Wel houden wij bij dat u geen reclame wilt, "
        "zodat wij u ook later niet opnieuw benaderen.",
        "recipients": "Hebben wij uw gegevens aan anderen bezorgd, dan laten wij hun weten wat "
        "wij op uw verzoek gedaan hebben (artikel 19 AVG). Op uw vraag laten wij u weten wie "
        "zij zijn.",
        "refusal": "Wij kunnen niet op uw verzoek ingaan. Wij leggen u uit waarom:",
        "extension": "Wij hebben meer tijd nodig om uw verzoek te behandelen. Daarom verlengen "
        "wij de termijn met ten hoogste twee maanden, zoals artikel 12, lid 3, AVG toelaat. U "
        "ontvangt ons antwoord uiterlijk op {due}.",
        "extension.reason": "De reden voor deze verlenging:",
        "complaint": "U hebt het recht om een klacht in te dienen bij de "
        "Gegevensbeschermingsautoriteit (Drukpersstraat 35, 1000 Brussel, contact@apd-gba.be, "
        "www.gegevensbeschermingsautoriteit.be) en om beroep in te stellen bij de rechter "
        "(artikelen 77 en 79 AVG).",
        "complaint.refusal": "U hebt het recht om een klacht in te dienen bij de "
        "Gegevensbeschermingsautoriteit (Drukpersstraat 35, 1000 Brussel, contact@apd-gba.be, "
        "www.gegevensbeschermingsautoriteit.be) en om beroep in te stellen bij de rechter "
        "(artikel 12, lid 4, en artikelen 77 en 79 AVG).",
        "questions": "Met vragen kunt u altijd bij ons terecht via {email}.",
        "and": "en",
        "sep": ": ",
        "list": "; ",
        "action.kept": "bewaard (zie verder)",
    },
    "en": {
        "reference": "Your request of {received} (our reference {id})",
        "salutation": "Dear {name},",
        "salutation_anonymous": "Dear Sir or Madam,",
        "closing": "Kind regards,",
        "intro": "On {received} we received your request {kind} (Article {article} of the "
        "General Data Protection Regulation, GDPR).",
        "kind.access": "for access to your personal data",
        "kind.portability": "to receive your personal data in a portable form",
        "kind.erasure": "to erase your personal data",
        "kind.rectification": "to rectify your personal data",
        "kind.restriction": "to restrict the processing of your personal data",
        "kind.objection": "objecting to direct marketing",
        "access": "The enclosed file {file} contains a copy of the personal data we hold about "
        "you.",
        "access.none": "Enclosed with this letter is a copy of the personal data we hold about "
        "you.",
        "portability": "The enclosed file {file} contains the personal data you provided to us, "
        "in a structured, commonly used and machine-readable format (JSON and "
        f"CSV).{PORTABILITY_EN}",
        "portability.none": "Enclosed with this letter is the personal data you provided to us, "
        "in a structured, commonly used and machine-readable format (JSON and "
        f"CSV).{PORTABILITY_EN}",
        "open": "First open the file report.html inside the zip file. It opens in any web "
        "browser and explains what we use your data for, where we got it, to whom we disclosed "
        "it, how long we keep it and what rights you have. The data itself is in the data "
        "folder, with one subfolder per system, as JSON and CSV files. A CSV file opens in a "
        "spreadsheet such as Excel or LibreOffice Calc.",
        "encrypted": "The file is encrypted (AES-256). Windows and macOS cannot open it on their "
        "own: use 7-Zip (Windows), Keka (macOS) or WinZip. We will give you the password "
        "separately, not with this message (for example by phone or text message).",
        "erasure": "We have carried out your request. This is what we did in each system:",
        "erasure.nothing": "We found no personal data about you in our systems, so there was "
        "nothing to erase.",
        "action.erased": "erased",
        "action.anonymised": "anonymised",
        "action.restricted": "restricted",
        "action.unrestricted": "restriction lifted",
        "action.opted_out": "unsubscribed from direct marketing",
        "action.rectified": "corrected",
        "action.unchanged": "already correct",
        "anonymised": "Anonymised means that everything that pointed to you has been removed; "
        "what remains can no longer be linked to you.",
        "kept.heading": "What we still have to keep",
        "kept.intro": "We may not erase some of your data yet, because a legal obligation "
        "requires us to keep it (Article 17(3)(b) GDPR). Below you can see which data this is, "
        "until when we keep it and on what basis:",
        "kept.item": "{category} ({count}): we keep them up to and including {until}. Legal "
        "basis: {basis}.",
        "kept.item.open": "{category} ({count}): we keep them for as long as the law requires. "
        "Legal basis: {basis}.",
        "kept.basis.unknown": "a legal obligation to keep them",
        "kept.after": "After that we will erase them without you having to ask again, unless the "
        "law still requires us to keep them then. Until then we use them only to meet that "
        "legal obligation.",
        "rectification": "We have corrected your personal data:",
        "rectification.none": "Your data with us was already correct; nothing needed to change.",
        "change": "{field}: {old} → {new}",
        "change.new": "{field}: now {new}",
        "empty": "(empty)",
        "restriction": "We have restricted the processing of your personal data. While the "
        "restriction lasts, we only store your data. We use it only with your consent, to "
        "establish, exercise or defend legal claims, to protect the rights of another person or "
        "for important reasons of public interest (Article 18(2) GDPR).",
        "restriction.where": "The restriction applies in: {systems}.",
        "restriction.notice": "We will tell you before we lift the restriction (Article 18(3) "
        "GDPR).",
        "lift": "At your request of {received} we restricted the processing of your personal "
        "data. With this letter we inform you, as Article 18(3) GDPR requires, that we are "
        "lifting that restriction.",
        "lift.reason": "The reason:",
        "lift.from": "From {on} we will process your data again as before. If you object to "
        "this, please let us know.",
        "objection": "We have recorded your objection. We no longer use your personal data for "
        "direct marketing: you will receive no more advertising from us, by e-mail, phone or "
        "post (Article 21(3) GDPR). We do keep a note that you do not want advertising, so that "
        "we do not approach you again later.",
        "recipients": "If we have disclosed your data to others, we let them know what we have "
        "done at your request (Article 19 GDPR). If you ask, we will tell you who they are.",
        "refusal": "We cannot act on your request, and this is why:",
        "extension": "We need more time to deal with your request, so we are extending the time "
        "limit by at most two further months, as Article 12(3) GDPR allows. You will receive "
        "our answer by {due} at the latest.",
        "extension.reason": "The reason for this extension:",
        "complaint": "You have the right to lodge a complaint with the Belgian Data Protection "
        "Authority (Rue de la Presse 35, 1000 Brussels, contact@apd-gba.be, "
        "www.dataprotectionauthority.be) and to seek a judicial remedy (Articles 77 and 79 "
        "GDPR).",
        "complaint.refusal": "You have the right to lodge a complaint with the supervisory "
        "authority, the Belgian Data Protection Authority (Rue de la Presse 35, 1000 Brussels, "
        "contact@apd-gba.be, www.dataprotectionauthority.be), and to seek a judicial remedy "
        "before the courts (Article 12(4) and Articles 77 and 79 GDPR).",
        "questions": "If you have any questions, please write to us at {email}.",
        "and": "and",
        "sep": ": ",
        "list": "; ",
        "action.kept": "kept (see below)",
    },
    "fr": {
        "reference": f"Concerne{NBSP}: votre demande du {{received}} (notre référence {{id}})",
        "salutation": "Madame, Monsieur,",
        "salutation_anonymous": "Madame, Monsieur,",
        "closing": "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos "
        "salutations distinguées.",
        "intro": "Le {received}, nous avons reçu votre demande {kind} (article {article} du "
        "règlement général sur la protection des données, RGPD).",
        "kind.access": "d'accès à vos données à caractère personnel",
        "kind.portability": "de portabilité de vos données à caractère personnel",
        "kind.erasure": "d'effacement de vos données à caractère personnel",
        "kind.rectification": "de rectification de vos données à caractère personnel",
        "kind.restriction": "de limitation du traitement de vos données à caractère personnel",
        "kind.objection": "par laquelle vous vous opposez au marketing direct",
        "access": "Le fichier joint {file} contient une copie des données à caractère personnel "
        "que nous détenons à votre sujet.",
        "access.none": "Vous trouverez avec ce courrier une copie des données à caractère "
        "personnel que nous détenons à votre sujet.",
        "portability": "Le fichier joint {file} contient les données à caractère personnel que "
        "vous nous avez fournies, dans un format structuré, couramment utilisé et lisible par "
        f"machine (JSON et CSV).{PORTABILITY_FR}",
        "portability.none": "Vous trouverez avec ce courrier les données à caractère personnel "
        "que vous nous avez fournies, dans un format structuré, couramment utilisé et lisible "
        f"par machine (JSON et CSV).{PORTABILITY_FR}",
        "open": "Ouvrez d'abord le fichier report.html contenu dans le fichier zip. Il s'ouvre "
        "dans n'importe quel navigateur et explique à quelles fins nous utilisons vos données, "
        "d'où elles proviennent, à qui nous les avons communiquées, combien de temps nous les "
        "conservons et quels sont vos droits. Les données elles-mêmes se trouvent dans le "
        "dossier data, avec un sous-dossier par système, sous forme de fichiers JSON et CSV. Un "
        "fichier CSV s'ouvre dans un tableur comme Excel ou LibreOffice Calc.",
        "encrypted": "Le fichier est chiffré (AES-256). Windows et macOS ne peuvent pas l'ouvrir "
        "seuls{NBSP}: utilisez 7-Zip (Windows), Keka (macOS) ou WinZip. Nous vous "
        "communiquerons le mot de passe séparément, pas avec ce message (par exemple par "
        "téléphone ou par SMS).",
        "erasure": "Nous avons donné suite à votre demande. Voici ce que nous avons fait dans "
        f"chaque système{NBSP}:",
        "erasure.nothing": "Nous n'avons trouvé aucune donnée à caractère personnel vous "
        "concernant dans nos systèmes{NBSP}: il n'y avait donc rien à effacer.",
        "action.erased": "effacé",
        "action.anonymised": "anonymisé",
        "action.restricted": "limité",
        "action.unrestricted": "limitation levée",
        "action.opted_out": "désinscrit du marketing direct",
        "action.rectified": "rectifié",
        "action.unchanged": "déjà conforme",
        "anonymised": f"«{NBSP}Anonymisé{NBSP}» signifie que tout ce qui renvoyait à vous a été "
        f"supprimé{NBSP}: ce qui reste ne peut plus être relié à vous.",
        "kept.heading": "Ce que nous devons encore conserver",
        "kept.intro": "Une partie de vos données ne peut pas encore être effacée, parce qu'une "
        "obligation légale nous impose de la conserver (article 17, paragraphe 3, point b, du "
        "RGPD). Vous trouverez ci-dessous les données concernées, jusqu'à quand nous les "
        f"conservons et sur quelle base{NBSP}:",
        "kept.item": "{category} ({count}){NBSP}: nous les conservons jusqu'au {until} inclus. "
        "Base légale{NBSP}: {basis}.",
        "kept.item.open": "{category} ({count}){NBSP}: nous les conservons aussi longtemps que "
        "la loi l'exige. Base légale{NBSP}: {basis}.",
        "kept.basis.unknown": "une obligation légale de conservation",
        "kept.after": "Ensuite, nous les effacerons sans que vous ayez à nous le redemander, sauf "
        "si la loi nous oblige encore à les conserver. D'ici là, nous ne les utilisons que pour "
        "respecter cette obligation légale.",
        "rectification": f"Nous avons rectifié vos données à caractère personnel{NBSP}:",
        "rectification.none": "Vos données chez nous étaient déjà exactes{NBSP}; il n'y avait "
        "rien à modifier.",
        "change": "{field}{NBSP}: {old} → {new}",
        "change.new": "{field}{NBSP}: désormais {new}",
        "empty": "(vide)",
        "restriction": "Nous avons limité le traitement de vos données à caractère personnel. "
        "Tant que la limitation s'applique, nous ne faisons que conserver "
        "vos données. Nous ne les utilisons qu'avec votre consentement, pour la constatation, "
        "l'exercice ou la défense de droits en justice, pour la protection des droits d'une "
        "autre personne ou pour des motifs importants d'intérêt public (article 18, paragraphe "
        "2, du RGPD).",
        "restriction.where": f"La limitation s'applique dans{NBSP}: {{systems}}.",
        "restriction.notice": "Nous vous informerons avant de lever la limitation (article 18, "
        "paragraphe 3, du RGPD).",
        "lift": "À la suite de votre demande du {received}, nous avons limité le traitement de "
        "vos données à caractère personnel. Par ce courrier, nous vous informons, comme le "
        "prévoit l'article 18, paragraphe 3, du RGPD, que nous levons cette limitation.",
        "lift.reason": f"Le motif{NBSP}:",
        "lift.from": "À partir du {on}, nous traiterons à nouveau vos données comme auparavant. "
        "Si vous vous y opposez, faites-le-nous savoir.",
        "objection": "Nous avons enregistré votre opposition. Nous n'utilisons plus vos données "
        "à caractère personnel à des fins de marketing direct{NBSP}: vous ne recevrez plus de "
        "publicité de notre part, ni par e-mail, ni par téléphone, ni par courrier (article 21, "
        "paragraphe 3, du RGPD). Nous conservons toutefois la mention que vous ne souhaitez pas "
        "recevoir de publicité, afin de ne plus vous solliciter à l'avenir.",
        "recipients": "Si nous avons communiqué vos données à d'autres destinataires, nous les "
        "informons de ce que nous avons fait à votre demande (article 19 du RGPD). Sur simple "
        "demande, nous vous indiquerons qui ils sont.",
        "refusal": f"Nous ne pouvons pas donner suite à votre demande, et voici pourquoi{NBSP}:",
        "extension": "Nous avons besoin de plus de temps pour traiter votre demande. Nous "
        "prolongeons donc le délai de deux mois au maximum, comme le permet l'article 12, "
        "paragraphe 3, du RGPD. Vous recevrez notre réponse au plus tard le {due}.",
        "extension.reason": f"Le motif de cette prolongation{NBSP}:",
        "complaint": "Vous avez le droit d'introduire une réclamation auprès de l'Autorité de "
        "protection des données (rue de la Presse 35, 1000 Bruxelles, contact@apd-gba.be, "
        "www.autoriteprotectiondonnees.be) et de former un recours juridictionnel (articles 77 "
        "et 79 du RGPD).",
        "complaint.refusal": "Vous avez le droit d'introduire une réclamation auprès de "
        "l'Autorité de protection des données (rue de la Presse 35, 1000 Bruxelles, "
        "contact@apd-gba.be, www.autoriteprotectiondonnees.be) et de former un recours "
        "juridictionnel (article 12, paragraphe 4, et articles 77 et 79 du RGPD).",
        "questions": "Pour toute question, vous pouvez nous écrire à l'adresse {email}.",
        "and": "et",
        "sep": "{NBSP}: ",
        "list": "{NBSP}; ",
        "action.kept": "conservé (voir ci-dessous)",
    },
}

# ``open``/``encrypted`` etc. were written with a literal {NBSP} placeholder inside plain
# strings: resolve it once here, so every text is ready for ``str.format``.
for _texts in TEXTS.values():
    for _key, _value in _texts.items():
        _texts[_key] = _value.replace("{NBSP}", NBSP)
