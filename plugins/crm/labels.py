"""What the access report calls a CRM's records and their fields, in nl, en and fr.

``sql-crm``'s tables and columns are the user's: :data:`CATEGORIES` and :data:`COLUMNS` give
labels for the usual category words and column names, :func:`mapping_fields` adds what the
mapping says of a column (its key, a foreign key, a phone or e-mail column, a flag, a date)
and what its ``fields`` declare (docs/systems.md, "Labels in the access report"). ``odoo``'s
fields are Odoo's own: :data:`ODOO_FIELDS`.
"""

from __future__ import annotations

from collections.abc import Mapping

from dsr_core.fields import Field, labels

from .mapping import CrmMapping

TITLES: Mapping[str, str] = labels("Klantenbestand", "Customer records", "Fichier clients")

#: The category words the docs suggest, and a few more.
CATEGORIES: Mapping[str, Mapping[str, str]] = {
    "contact": labels("Contactgegevens", "Contact details", "Coordonnées"),
    "address": labels("Adressen", "Addresses", "Adresses"),
    "contract": labels("Contracten", "Contracts", "Contrats"),
    "product": labels("Producten en diensten", "Products and services", "Produits et services"),
    "invoice": labels("Facturen", "Invoices", "Factures"),
    "payment": labels("Betalingen", "Payments", "Paiements"),
    "order": labels("Bestellingen", "Orders", "Commandes"),
    "message": labels("Berichten", "Messages", "Messages"),
    "ticket": labels("Supportaanvragen", "Support tickets", "Demandes de support"),
    "note": labels("Notities", "Notes", "Notes"),
    "marketing": labels("Marketing", "Marketing", "Marketing"),
    "consent": labels("Toestemmingen", "Consents", "Consentements"),
}


def _f(nl: str, en: str, fr: str, kind: str = "text") -> Field:
    return Field(labels(nl, en, fr), kind)


#: Labels for usual column names (a mapped table's columns fall back on these).
COLUMNS: Mapping[str, Field] = {
    "id": _f("Interne sleutel", "Internal key", "Clé interne", "technical"),
    "customer_id": _f("Klantnummer", "Customer number", "Numéro de client", "technical"),
    "contract_id": _f(
        "Contract (interne sleutel)",
        "Contract (internal key)",
        "Contrat (clé interne)",
        "technical",
    ),
    "invoice_id": _f(
        "Factuur (interne sleutel)", "Invoice (internal key)", "Facture (clé interne)", "technical"
    ),
    "name": _f("Naam", "Name", "Nom"),
    "first_name": _f("Voornaam", "First name", "Prénom"),
    "last_name": _f("Familienaam", "Last name", "Nom de famille"),
    "company": _f("Bedrijf", "Company", "Entreprise"),
    "is_company": _f("Bedrijf", "Company", "Entreprise", "boolean"),
    "email": _f("E-mailadres", "E-mail address", "Adresse e-mail"),
    "phone": _f("Telefoonnummer", "Phone number", "Numéro de téléphone", "phone"),
    "mobile": _f("Gsm-nummer", "Mobile number", "Numéro de GSM", "phone"),
    "fax": _f("Faxnummer", "Fax number", "Numéro de fax", "phone"),
    "street": _f("Straat en huisnummer", "Street address", "Rue et numéro"),
    "city": _f("Gemeente", "City", "Commune"),
    "postcode": _f("Postcode", "Postcode", "Code postal"),
    "zip": _f("Postcode", "Postcode", "Code postal"),
    "country": _f("Land", "Country", "Pays"),
    "vat": _f("Btw-nummer", "VAT number", "Numéro de TVA"),
    "language": _f("Taal", "Language", "Langue"),
    "birth_date": _f("Geboortedatum", "Date of birth", "Date de naissance", "date"),
    "carrier": _f("Telecomoperator", "Carrier", "Opérateur télécom", "recipient"),
    "marketing_opt_out": _f(
        "Geen direct marketing", "No direct marketing", "Pas de marketing direct", "boolean"
    ),
    "newsletter": _f("Nieuwsbrief", "Newsletter", "Newsletter", "boolean"),
    "unsubscribed": _f("Uitgeschreven", "Unsubscribed", "Désinscrit", "boolean"),
    "restricted": _f("Verwerking beperkt", "Processing restricted", "Traitement limité", "boolean"),
    "password_hash": _f(
        "Wachtwoord (versleuteld)", "Password (hashed)", "Mot de passe (chiffré)", "technical"
    ),
    "number": _f("Nummer", "Number", "Numéro"),
    "assigned_from": _f("Toegekend vanaf", "Assigned from", "Attribué depuis", "date"),
    "assigned_to": _f("Toegekend tot", "Assigned until", "Attribué jusqu'au", "date"),
    "valid_from": _f("Geldig vanaf", "Valid from", "Valable depuis", "date"),
    "valid_to": _f("Geldig tot", "Valid until", "Valable jusqu'au", "date"),
    "product": _f("Product", "Product", "Produit"),
    "description": _f("Omschrijving", "Description", "Description"),
    "quantity": _f("Aantal", "Quantity", "Quantité", "number"),
    "start_date": _f("Begindatum", "Start date", "Date de début", "date"),
    "started_on": _f("Begindatum", "Start date", "Date de début", "date"),
    "end_date": _f("Einddatum", "End date", "Date de fin", "date"),
    "ended_on": _f("Einddatum", "End date", "Date de fin", "date"),
    "monthly_fee": _f("Maandelijkse prijs", "Monthly fee", "Prix mensuel", "amount"),
    "price": _f("Prijs", "Price", "Prix", "amount"),
    "invoice_date": _f("Factuurdatum", "Invoice date", "Date de facture", "date"),
    "due_date": _f("Vervaldag", "Due date", "Échéance", "date"),
    "amount": _f("Bedrag", "Amount", "Montant", "amount"),
    "total": _f("Totaal", "Total", "Total", "amount"),
    "currency": _f("Munt", "Currency", "Devise"),
    "paid": _f("Betaald", "Paid", "Payé", "boolean"),
    "summary": _f("Onderwerp", "Subject", "Objet"),
    "subject": _f("Onderwerp", "Subject", "Objet"),
    "body": _f("Bericht", "Message", "Message"),
    "note": _f("Notitie", "Note", "Note"),
    "status": _f("Status", "Status", "Statut"),
    "created_on": _f("Aangemaakt op", "Created on", "Créé le", "date"),
    "created_at": _f("Aangemaakt op", "Created at", "Créé le", "datetime"),
    "updated_at": _f("Gewijzigd op", "Updated at", "Modifié le", "datetime"),
}

#: What a column's role in the mapping makes it, when neither its ``fields`` entry nor its
#: name says otherwise.
_ROLES: Mapping[str, Field] = {
    "technical": _f("Interne verwijzing", "Internal reference", "Référence interne", "technical"),
    "customer_id": _f("Klantnummer", "Customer number", "Numéro de client"),
    "phone": _f("Telefoonnummer", "Phone number", "Numéro de téléphone", "phone"),
    "email": _f("E-mailadres", "E-mail address", "Adresse e-mail"),
    "vat": _f("Btw-nummer", "VAT number", "Numéro de TVA"),
    "date": _f("Datum", "Date", "Date", "date"),
    "opt_out": _f(
        "Bezwaar tegen direct marketing",
        "Objection to direct marketing",
        "Opposition au marketing direct",
        "boolean",
    ),
    "restricted": _f("Verwerking beperkt", "Processing restricted", "Traitement limité", "boolean"),
}
#: Labels for a column declared with a kind only, when its name has none.
KIND_LABELS: Mapping[str, Mapping[str, str]] = {
    "text": labels("Gegeven", "Value", "Donnée"),
    "date": labels("Datum", "Date", "Date"),
    "datetime": labels("Tijdstip", "Date and time", "Date et heure"),
    "duration": labels("Duur", "Duration", "Durée"),
    "amount": labels("Bedrag", "Amount", "Montant"),
    "number": labels("Aantal", "Number", "Nombre"),
    "boolean": labels("Ja/nee", "Yes/no", "Oui/non"),
    "phone": labels("Telefoonnummer", "Phone number", "Numéro de téléphone"),
    "technical": labels("Interne verwijzing", "Internal reference", "Référence interne"),
    "recipient": labels("Ontvanger", "Recipient", "Destinataire"),
    "third_party": labels("Gegevens van een derde", "Someone else's data", "Données d'un tiers"),
}


def _by_role(role: str, column: str) -> Field:
    """A column's label and kind from its role, the name's own label when it agrees."""
    field = _ROLES[role]
    named = COLUMNS.get(column)
    if named is not None and named.kind == field.kind:
        return named
    return field


def mapping_fields(mapping: CrmMapping) -> dict[str, Field]:
    """Labels and kinds for the columns the mapping says something about, keyed
    ``category.column`` (the tables' ``fields`` declarations win)."""
    found: dict[str, Field] = {}
    for table in mapping.tables.values():
        roles: dict[str, str] = {}
        for column in (*(table.key or ()), *(table.foreign_key or ())):
            roles[column] = "technical"
        for kind, columns in table.identify.items():
            for column in columns:
                roles[column] = kind
                if kind in ("email", "phone"):  # MariaDB's lookup column (docs/systems.md)
                    roles[f"dsr_{column}_{kind}"] = "technical"
        if table.phone_period is not None:
            period = table.phone_period
            roles[period.number] = "phone"
            for column in (period.valid_from, period.valid_to):
                if column:
                    roles[column] = "date"
        if table.date_column:
            roles[table.date_column] = "date"
        if table.opt_out is not None:
            roles[table.opt_out.column] = "opt_out"
        if table.restricted is not None:
            roles[table.restricted.column] = "restricted"
        for column, role in roles.items():
            found.setdefault(f"{table.category}.{column}", _by_role(role, column))
    for table in mapping.tables.values():
        for column, spec in table.fields.items():
            key = f"{table.category}.{column}"
            base = found.get(key) or COLUMNS.get(column)
            kind = spec.kind or (base.kind if base else "text")
            if spec.labels is not None:
                texts = spec.labels
            elif base is not None and (spec.kind is None or base.kind == spec.kind):
                texts = base.labels
            else:
                texts = KIND_LABELS[kind]
            currency = spec.currency or (base.currency if base else "EUR")
            found[key] = Field(texts, kind, currency)
    return found


def mapping_categories(mapping: CrmMapping) -> dict[str, Mapping[str, str]]:
    """Category labels: the usual words', then what the tables' ``category_labels`` say."""
    found: dict[str, Mapping[str, str]] = dict(CATEGORIES)
    for table in mapping.tables.values():
        if table.category_labels:
            found[table.category] = table.category_labels
    return found


# -- odoo -------------------------------------------------------------------------------------
ODOO_CATEGORIES: Mapping[str, Mapping[str, str]] = {
    "contact": CATEGORIES["contact"],
    "contract": labels("Bestellingen", "Orders", "Commandes"),
    "invoice": CATEGORIES["invoice"],
}

ODOO_FIELDS: Mapping[str, Field] = {
    "id": COLUMNS["id"],
    "name": COLUMNS["name"],
    "contract.name": _f("Bestelnummer", "Order reference", "Référence de commande"),
    "invoice.name": _f("Factuurnummer", "Invoice number", "Numéro de facture"),
    "type": _f("Soort adres", "Address type", "Type d'adresse"),
    "is_company": COLUMNS["is_company"],
    "parent_id": _f("Bedrijf", "Company", "Entreprise"),
    "email": COLUMNS["email"],
    "phone": COLUMNS["phone"],
    "mobile": COLUMNS["mobile"],
    "street": COLUMNS["street"],
    "street2": _f("Adres (vervolg)", "Address (continued)", "Adresse (suite)"),
    "zip": COLUMNS["zip"],
    "city": COLUMNS["city"],
    "state_id": _f("Provincie", "State or province", "Province"),
    "country_id": COLUMNS["country"],
    "vat": COLUMNS["vat"],
    "lang": COLUMNS["language"],
    "function": _f("Functie", "Job position", "Fonction"),
    "title": _f("Aanspreking", "Title", "Titre"),
    "website": _f("Website", "Website", "Site web"),
    "ref": _f("Referentie", "Reference", "Référence"),
    "comment": _f("Opmerkingen", "Notes", "Remarques"),
    "active": _f("Actief", "Active", "Actif", "boolean"),
    "create_date": _f("Aangemaakt op", "Created on", "Créé le", "datetime"),
    "write_date": _f("Laatst gewijzigd op", "Last changed on", "Modifié le", "datetime"),
    "state": _f("Status", "Status", "Statut"),
    "date_order": _f("Besteldatum", "Order date", "Date de commande", "datetime"),
    "validity_date": _f("Geldig tot", "Valid until", "Valable jusqu'au", "date"),
    "client_order_ref": _f("Uw referentie", "Your reference", "Votre référence"),
    "partner_id": _f("Klant", "Customer", "Client"),
    "partner_invoice_id": _f("Factuuradres", "Invoice address", "Adresse de facturation"),
    "partner_shipping_id": _f("Leveradres", "Delivery address", "Adresse de livraison"),
    "amount_untaxed": _f("Bedrag excl. btw", "Amount excl. VAT", "Montant HTVA", "amount"),
    "amount_tax": _f("Btw", "VAT", "TVA", "amount"),
    "amount_total": _f("Totaal incl. btw", "Total incl. VAT", "Total TVAC", "amount"),
    "currency_id": COLUMNS["currency"],
    "invoice_ids": _f(
        "Facturen (interne sleutels)",
        "Invoices (internal keys)",
        "Factures (clés internes)",
        "technical",
    ),
    "move_type": _f("Soort document", "Document type", "Type de document"),
    "invoice_date": COLUMNS["invoice_date"],
    "invoice_date_due": COLUMNS["due_date"],
    "date": _f("Boekingsdatum", "Accounting date", "Date comptable", "date"),
    "invoice_origin": _f("Oorsprong", "Source document", "Document d'origine"),
    "payment_state": _f("Betalingsstatus", "Payment status", "Statut du paiement"),
}
