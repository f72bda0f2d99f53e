"""The sentences of the letters, per language: Dutch as Flemish people write it (``u``),
French as Belgians write it (``Madame, Monsieur``, the non-breaking space before ``:``),
and English. Placeholders are ``str.format`` fields filled by :mod:`dsr_core.answer.compose`.
"""

from __future__ import annotations

NBSP = "\u00a0"

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "reference": "Betreft: uw verzoek van {received} (ons dossiernummer {id})",
        "salutation": "Beste {name},",
        "salutation_anonymous": "Beste,",
        "closing": "Met vriendelijke groeten,",
        "intro": "Op {received} ontvingen wij uw verzoek {kind} (artikel {article} AVG).",
        "kind.access": "om inzage in uw persoonsgegevens",
        "kind.portability": "om uw persoonsgegevens over te dragen",
        "kind.erasure": "om uw persoonsgegevens te wissen",
        "kind.rectification": "om uw persoonsgegevens te verbeteren",
        "kind.restriction": "om de verwerking van uw persoonsgegevens te beperken",
        "kind.objection": "waarmee u bezwaar maakt tegen direct marketing",
        "access": "In het bijgevoegde bestand {file} vindt u een kopie van alle persoonsgegevens "
        "die wij over u bewaren (artikel 15 AVG).",
        "access.none": "Bij deze brief vindt u een kopie van alle persoonsgegevens die wij over u "
        "bewaren (artikel 15 AVG).",
        "portability": "In het bijgevoegde bestand {file} vindt u de persoonsgegevens die u ons "
        "zelf hebt bezorgd, in een gestructureerde, gangbare en machineleesbare vorm (JSON en "
        "CSV). U mag die gegevens aan een andere organisatie bezorgen. Wilt u dat wij ze "
        "rechtstreeks aan die organisatie doorsturen, laat het ons dan weten (artikel 20, lid 2, "
        "AVG).",
        "portability.none": "Bij deze brief vindt u de persoonsgegevens die u ons zelf hebt "
        "bezorgd, in een gestructureerde, gangbare en machineleesbare vorm (JSON en CSV).",
        "open": "Open eerst het bestand report.html in het zip-bestand: het opent in elke "
        "webbrowser en legt uit waarvoor wij uw gegevens gebruiken, van wie wij ze kregen, aan "
        "wie wij ze bezorgden en hoe lang wij ze bewaren. De gegevens zelf staan per systeem in "
        "de map data, als JSON- en CSV-bestanden (een CSV-bestand opent in een rekenblad zoals "
        "Excel of LibreOffice Calc).",
        "encrypted": "Het bestand is versleuteld (AES-256). Het opent niet met de ingebouwde "
        "zip-functie van Windows: gebruik 7-Zip (Windows), Keka (macOS) of WinZip. Het "
        "wachtwoord bezorgen wij u apart, langs een andere weg dan dit bericht.",
        "erasure": "Wij hebben uw persoonsgegevens gewist (artikel 17 AVG). Dit is wat wij per "
        "systeem gedaan hebben:",
        "erasure.nothing": "Wij vonden in onze systemen geen persoonsgegevens over u; er moest "
        "dus niets gewist worden.",
        "action.erased": "gewist",
        "action.anonymised": "geanonimiseerd",
        "action.restricted": "beperkt",
        "action.unrestricted": "beperking opgeheven",
        "action.opted_out": "uitgeschreven voor direct marketing",
        "action.rectified": "verbeterd",
        "action.unchanged": "was al in orde",
        "anonymised": "Geanonimiseerd betekent: wat naar u verwijst, is verwijderd; wat "
        "overblijft, kan niet meer met u in verband worden gebracht.",
        "kept.heading": "Wat wij nog moeten bijhouden",
        "kept.intro": "Een deel van uw gegevens mogen wij nog niet wissen, omdat de wet ons "
        "verplicht ze te bewaren (artikel 17, lid 3, AVG):",
        "kept.item": "{category} ({count}): wij bewaren ze tot en met {until}, omdat: {basis}.",
        "kept.item.open": "{category} ({count}): wij bewaren ze zolang de wet het vereist, "
        "omdat: {basis}.",
        "kept.basis.unknown": "een wettelijke bewaarplicht",
        "kept.after": "Daarna wissen wij ze, zonder dat u het ons opnieuw moet vragen. Tot dan "
        "gebruiken wij ze alleen voor dat wettelijke doel.",
        "rectification": "Wij hebben uw persoonsgegevens verbeterd (artikel 16 AVG):",
        "rectification.none": "Uw gegevens bij ons waren al juist; er moest niets veranderd "
        "worden.",
        "change": "{field}: {old} → {new}",
        "change.new": "{field}: nu {new}",
        "empty": "(leeg)",
        "restriction": "Wij hebben de verwerking van uw persoonsgegevens beperkt (artikel 18 "
        "AVG). Zolang de beperking geldt, bewaren wij uw gegevens alleen nog. Wij gebruiken ze "
        "enkel met uw toestemming, voor een rechtsvordering, om de rechten van een ander te "
        "beschermen of om gewichtige redenen van algemeen belang (artikel 18, lid 2, AVG).",
        "restriction.where": "De beperking geldt in: {systems}.",
        "restriction.notice": "Voor wij de beperking opheffen, laten wij het u weten (artikel "
        "18, lid 3, AVG).",
        "lift": "Op uw verzoek van {received} hebben wij de verwerking van uw persoonsgegevens "
        "beperkt. Met deze brief laten wij u weten, zoals artikel 18, lid 3, AVG vraagt, dat "
        "wij die beperking opheffen.",
        "lift.reason": "De reden:",
        "lift.from": "Vanaf {on} verwerken wij uw gegevens weer zoals voordien. Hebt u daar "
        "bezwaar tegen, laat het ons dan weten.",
        "objection": "Wij hebben uw bezwaar genoteerd. Wij gebruiken uw persoonsgegevens niet "
        "meer voor direct marketing: u krijgt van ons geen reclame meer, per e-mail, telefoon "
        "of post (artikel 21, lid 3, AVG). Wij houden alleen bij dat u geen reclame wilt, "
        "zodat wij u ook later niet opnieuw benaderen.",
        "recipients": "Wij hebben uw verzoek ook doorgegeven aan wie wij uw gegevens hebben "
        "bezorgd (artikel 19 AVG). Op uw vraag laten wij u weten wie dat is.",
        "refusal": "Wij kunnen op dit verzoek niet ingaan, om de volgende reden(en):",
        "extension": "Wij hebben meer tijd nodig om uw verzoek te beantwoorden, en verlengen de "
        "termijn daarom met ten hoogste twee maanden, zoals artikel 12, lid 3, AVG toelaat. U "
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
        "questions": "Hebt u nog vragen, antwoord dan gewoon op dit bericht of schrijf ons op "
        "{email}.",
        "and": "en",
        "sep": ": ",
        "list": "; ",
        "action.kept": "bewaard (zie verder)",
    },
    "en": {
        "reference": "Re: your request of {received} (our reference {id})",
        "salutation": "Dear {name},",
        "salutation_anonymous": "Dear Sir or Madam,",
        "closing": "Yours sincerely,",
        "intro": "On {received} we received your request {kind} (Article {article} of the "
        "General Data Protection Regulation, GDPR).",
        "kind.access": "for access to your personal data",
        "kind.portability": "to receive your personal data in a portable form",
        "kind.erasure": "to erase your personal data",
        "kind.rectification": "to rectify your personal data",
        "kind.restriction": "to restrict the processing of your personal data",
        "kind.objection": "objecting to direct marketing",
        "access": "The enclosed file {file} holds a copy of all the personal data we keep "
        "about you (Article 15 GDPR).",
        "access.none": "With this letter you receive a copy of all the personal data we keep "
        "about you (Article 15 GDPR).",
        "portability": "The enclosed file {file} holds the personal data you gave us, in a "
        "structured, commonly used and machine-readable form (JSON and CSV). You may pass it on "
        "to another organisation. If you would like us to send it to that organisation "
        "directly, let us know (Article 20(2) GDPR).",
        "portability.none": "With this letter you receive the personal data you gave us, in a "
        "structured, commonly used and machine-readable form (JSON and CSV).",
        "open": "Open the file report.html inside the zip file first: it opens in any web "
        "browser and explains what we use your data for, where we got it, to whom we passed it "
        "and how long we keep it. The data itself is in the folder data, per system, as JSON "
        "and CSV files (a CSV file opens in a spreadsheet such as Excel or LibreOffice Calc).",
        "encrypted": "The file is encrypted (AES-256). Windows' built-in zip support cannot "
        "open it: use 7-Zip (Windows), Keka (macOS) or WinZip. We will give you the password "
        "separately, by another channel than this message.",
        "erasure": "We have erased your personal data (Article 17 GDPR). This is what we did in "
        "each system:",
        "erasure.nothing": "We found no personal data about you in our systems, so there was "
        "nothing to erase.",
        "action.erased": "erased",
        "action.anonymised": "anonymised",
        "action.restricted": "restricted",
        "action.unrestricted": "restriction lifted",
        "action.opted_out": "unsubscribed from direct marketing",
        "action.rectified": "corrected",
        "action.unchanged": "already as asked",
        "anonymised": "Anonymised means: whatever pointed to you has been removed; what remains "
        "can no longer be linked to you.",
        "kept.heading": "What we still have to keep",
        "kept.intro": "Some of your data we may not erase yet, because the law requires us to "
        "keep it (Article 17(3) GDPR):",
        "kept.item": "{category} ({count}): we keep them until {until} inclusive, because: "
        "{basis}.",
        "kept.item.open": "{category} ({count}): we keep them as long as the law requires, "
        "because: {basis}.",
        "kept.basis.unknown": "a legal duty to keep them",
        "kept.after": "After that we erase them without you having to ask again. Until then we "
        "use them only for that legal purpose.",
        "rectification": "We have corrected your personal data (Article 16 GDPR):",
        "rectification.none": "Your data with us was already correct; nothing had to change.",
        "change": "{field}: {old} → {new}",
        "change.new": "{field}: now {new}",
        "empty": "(empty)",
        "restriction": "We have restricted the processing of your personal data (Article 18 "
        "GDPR). While the restriction lasts we only store your data. We use it only with your "
        "consent, for legal claims, to protect the rights of another person or for important "
        "reasons of public interest (Article 18(2) GDPR).",
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
        "post (Article 21(3) GDPR). We keep only the note that you do not want advertising, so "
        "that we do not approach you again later.",
        "recipients": "We have also passed your request on to those to whom we disclosed your "
        "data (Article 19 GDPR). If you ask, we will tell you who they are.",
        "refusal": "We cannot act on this request, for the following reason(s):",
        "extension": "We need more time to answer your request and therefore extend the period "
        "by at most two further months, as Article 12(3) GDPR allows. You will receive our "
        "answer no later than {due}.",
        "extension.reason": "The reason for this extension:",
        "complaint": "You have the right to lodge a complaint with the Belgian Data Protection "
        "Authority (Rue de la Presse 35, 1000 Brussels, contact@apd-gba.be, "
        "www.dataprotectionauthority.be) and to seek a judicial remedy (Articles 77 and 79 "
        "GDPR).",
        "complaint.refusal": "You have the right to lodge a complaint with the supervisory "
        "authority, the Belgian Data Protection Authority (Rue de la Presse 35, 1000 Brussels, "
        "contact@apd-gba.be, www.dataprotectionauthority.be), and to seek a judicial remedy "
        "before the courts (Article 12(4) and Articles 77 and 79 GDPR).",
        "questions": "If you have any questions, simply reply to this message or write to us "
        "at {email}.",
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
        "kind.objection": "d'opposition au marketing direct",
        "access": "Le fichier joint {file} contient une copie de toutes les données à "
        "caractère personnel que nous conservons à votre sujet (article 15 du RGPD).",
        "access.none": "Vous trouverez avec ce courrier une copie de toutes les données à "
        "caractère personnel que nous conservons à votre sujet (article 15 du RGPD).",
        "portability": "Le fichier joint {file} contient les données à caractère personnel que "
        "vous nous avez fournies, dans un format structuré, couramment utilisé et lisible par "
        "machine (JSON et CSV). Vous pouvez les transmettre à un autre organisme. Si vous "
        "souhaitez que nous les lui transmettions directement, faites-le-nous savoir (article "
        "20, paragraphe 2, du RGPD).",
        "portability.none": "Vous trouverez avec ce courrier les données à caractère personnel "
        "que vous nous avez fournies, dans un format structuré, couramment utilisé et lisible "
        "par machine (JSON et CSV).",
        "open": "Ouvrez d'abord le fichier report.html contenu dans le fichier zip{NBSP}: il "
        "s'ouvre dans tout navigateur et explique à quelles fins nous utilisons vos données, "
        "d'où elles proviennent, à qui nous les avons communiquées et combien de temps nous les "
        "conservons. Les données elles-mêmes se trouvent, par système, dans le dossier data, en "
        "fichiers JSON et CSV (un fichier CSV s'ouvre dans un tableur comme Excel ou LibreOffice "
        "Calc).",
        "encrypted": "Le fichier est chiffré (AES-256). La fonction zip intégrée de Windows ne "
        "peut pas l'ouvrir{NBSP}: utilisez 7-Zip (Windows), Keka (macOS) ou WinZip. Nous vous "
        "communiquerons le mot de passe séparément, par un autre canal que ce message.",
        "erasure": "Nous avons effacé vos données à caractère personnel (article 17 du RGPD). "
        f"Voici ce que nous avons fait dans chaque système{NBSP}:",
        "erasure.nothing": "Nous n'avons trouvé aucune donnée à caractère personnel vous "
        "concernant dans nos systèmes{NBSP}: il n'y avait donc rien à effacer.",
        "action.erased": "effacé",
        "action.anonymised": "anonymisé",
        "action.restricted": "limité",
        "action.unrestricted": "limitation levée",
        "action.opted_out": "désinscrit du marketing direct",
        "action.rectified": "rectifié",
        "action.unchanged": "déjà conforme",
        "anonymised": f"Anonymisé signifie{NBSP}: ce qui renvoyait à vous a été supprimé{NBSP}; "
        "ce qui reste ne peut plus être relié à vous.",
        "kept.heading": "Ce que nous devons encore conserver",
        "kept.intro": "Une partie de vos données ne peut pas encore être effacée, parce que la "
        f"loi nous oblige à la conserver (article 17, paragraphe 3, du RGPD){NBSP}:",
        "kept.item": "{category} ({count}){NBSP}: nous les conservons jusqu'au {until} inclus, "
        "en raison de{NBSP}: {basis}.",
        "kept.item.open": "{category} ({count}){NBSP}: nous les conservons aussi longtemps que "
        "la loi l'exige, en raison de{NBSP}: {basis}.",
        "kept.basis.unknown": "une obligation légale de conservation",
        "kept.after": "Ensuite, nous les effacerons sans que vous deviez le redemander. "
        "D'ici là, nous ne les utilisons qu'à cette fin légale.",
        "rectification": "Nous avons rectifié vos données à caractère personnel (article 16 du "
        f"RGPD){NBSP}:",
        "rectification.none": "Vos données chez nous étaient déjà exactes{NBSP}; rien ne devait "
        "changer.",
        "change": "{field}{NBSP}: {old} → {new}",
        "change.new": "{field}{NBSP}: désormais {new}",
        "empty": "(vide)",
        "restriction": "Nous avons limité le traitement de vos données à caractère personnel "
        "(article 18 du RGPD). Tant que la limitation s'applique, nous ne faisons que conserver "
        "vos données. Nous ne les utilisons qu'avec votre consentement, pour la constatation, "
        "l'exercice ou la défense de droits en justice, pour la protection des droits d'une "
        "autre personne ou pour des motifs importants d'intérêt public (article 18, paragraphe "
        "2, du RGPD).",
        "restriction.where": f"La limitation s'applique dans{NBSP}: {{systems}}.",
        "restriction.notice": "Nous vous informerons avant de lever la limitation (article 18, "
        "paragraphe 3, du RGPD).",
        "lift": "À votre demande du {received}, nous avons limité le traitement de vos données à "
        "caractère personnel. Par ce courrier, nous vous informons, comme le prévoit l'article "
        "18, paragraphe 3, du RGPD, que nous levons cette limitation.",
        "lift.reason": f"Le motif{NBSP}:",
        "lift.from": "À partir du {on}, nous traiterons à nouveau vos données comme auparavant. "
        "Si vous vous y opposez, faites-le-nous savoir.",
        "objection": "Nous avons enregistré votre opposition. Nous n'utilisons plus vos données "
        "à caractère personnel à des fins de marketing direct{NBSP}: vous ne recevrez plus de "
        "publicité de notre part, ni par e-mail, ni par téléphone, ni par courrier (article 21, "
        "paragraphe 3, du RGPD). Nous conservons seulement le fait que vous ne souhaitez pas "
        "de publicité, afin de ne plus vous solliciter à l'avenir.",
        "recipients": "Nous avons également transmis votre demande à ceux à qui nous avons "
        "communiqué vos données (article 19 du RGPD). Sur simple demande, nous vous dirons qui "
        "ils sont.",
        "refusal": "Nous ne pouvons pas donner suite à cette demande, pour le(s) motif(s) "
        f"suivant(s){NBSP}:",
        "extension": "Nous avons besoin de plus de temps pour répondre à votre demande et "
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
        "questions": "Pour toute question, répondez simplement à ce message ou écrivez-nous à "
        "l'adresse {email}.",
        "and": "et",
        "sep": "{NBSP}: ",
        "list": "{NBSP}; ",
        "action.kept": "conservé (voir plus loin)",
    },
}

# ``open``/``encrypted`` etc. were written with a literal {NBSP} placeholder inside plain
# strings: resolve it once here, so every text is ready for ``str.format``.
for _texts in TEXTS.values():
    for _key, _value in _texts.items():
        _texts[_key] = _value.replace("{NBSP}", NBSP)
