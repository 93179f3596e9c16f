"""Which column is which: the fields each kind takes, the header spellings we
recognize (Snipe-IT's labels and alternatives, and what people type in their
own sheets), and mappings remembered for the next file with the same headers."""
from __future__ import annotations

import re

# kind -> field -> recognized header spellings (compared lower-case, letters and digits only)
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "assets": {
        "tag": ("assettag", "tag", "tagno", "tagnumber", "tagnum", "assetno", "assetnumber",
                "assetid", "inventorytag", "propertytag", "propertyno", "districttag", "barcode",
                "assetcode", "inventoryno", "inventorynumber", "invno", "propertynumber", "tagid",
                "assettagid", "districtno", "districtnumber", "annotatedassetid"),
        "serial": ("serial", "serialnumber", "serialno", "sn", "servicetag", "serialnum"),
        "name": ("name", "assetname", "itemname", "item", "description", "devicename", "hostname",
                 "device", "equipment", "itemdescription", "assetdescription"),
        "model": ("model", "modelname"),
        "manufacturer": ("manufacturer", "make", "brand", "mfr"),
        "model_number": ("modelnumber", "modelno", "partnumber", "mpn", "sku"),
        "category": ("category", "type", "devicetype", "assettype", "equipmenttype", "kind"),
        "status": ("status", "statuslabel", "state"),
        "site": ("site", "school", "building", "campus", "sitename", "bldg", "buildingname",
                 "schoolname", "facility", "campusname"),
        "room": ("room", "roomnumber", "roomno", "area", "rm", "rmno", "roomname", "classroom"),
        "location": ("location", "locationname", "defaultlocation", "annotatedlocation"),
        "site_room": ("siteroom", "siteandroom", "buildingroom", "schoolroom", "locationroom",
                      "siteslashroom", "campusroom"),
        "purchase_date": ("purchasedate", "dateacquired", "acquired", "acquisitiondate",
                          "datepurchased", "purchased", "orderdate", "dateofpurchase", "podate",
                          "invoicedate", "datereceived", "receiveddate", "purchdate"),
        "cost": ("purchasecost", "cost", "price", "unitcost", "unitprice", "value", "amount"),
        "order_number": ("ordernumber", "po", "ponumber", "purchaseorder", "pono", "order"),
        "supplier": ("supplier", "vendor", "seller", "reseller"),
        "funding": ("funding", "fundingsource", "fund", "source", "fundsource"),
        "erate_frn": ("frn", "eratefrn", "fundingrequestnumber"),
        "erate_form471": ("form471", "471", "form471number", "471number", "fccform471",
                          "form471applicationnumber", "471applicationnumber", "eratef471",
                          "fccform471number", "applicationnumber"),
        "erate_frn_line": ("frnlineitem", "lineitem", "frnline", "frnlineitemnumber",
                           "eratelineitem", "lineitemnumber"),
        "ben": ("ben", "billedentitynumber", "eratebenumber", "entitynumber", "erateben"),
        "spin": ("spin", "498id", "form498id", "serviceproviderid", "spinnumber",
                 "serviceprovideridentificationnumber", "eratespin"),
        "federal_award_id": ("fain", "federalaward", "federalawardid", "awardnumber", "awardid",
                             "federalawardnumber", "grantaward"),
        "federal_share": ("federalshare", "federalsharepercent", "federalparticipation",
                          "federalpercent", "percentfederal"),
        "condition": ("condition", "assetcondition", "physicalcondition"),
        "erate_funding_year": ("fundingyear", "eratefundingyear", "eratefy", "erateyear",
                               "fundingyr", "eratefundingyr"),
        "in_service_date": ("inservice", "inservicedate", "deploydate", "deployeddate"),
        "warranty_end": ("warrantyend", "warrantyexpires", "warrantyexpiration",
                         "warrantyenddate", "warrantyexpirationdate", "warrantyexp",
                         "warrantyexpires", "warrantydate", "warrantythrough", "warrantyuntil"),
        "warranty_months": ("warranty", "warrantymonths"),
        "notes": ("notes", "assetnotes", "comments", "comment", "note", "remarks"),
        "holder_username": ("checkedouttousername", "username", "assignedusername",
                            "assignedtousername", "login", "userid"),
        "holder_email": ("checkedouttoemail", "email", "assignedemail", "assignedtoemail",
                         "holderemail", "useremail", "borroweremail", "emailaddress"),
        "holder_first": ("checkedouttofirstname", "firstname"),
        "holder_last": ("checkedouttolastname", "lastname"),
        "holder_name": ("fullname", "assignedto", "checkedoutto", "user", "employee", "student",
                        "custodian", "holder", "borrower", "assignee", "issuedto", "assigneduser",
                        "primaryuser", "currentuser", "assignedtouser", "teacher",
                        "checkedouttofullname", "checkedouttoname", "assignedtoname",
                        "staffmember", "studentname", "staffname", "employeename", "holdername",
                        "borrowername", "custodianname", "assignedtofullname", "annotateduser"),
        "holder_kind": ("assignedtokind", "checkedouttokind", "holderkind", "assignedtotype",
                        "checkedouttotype", "persontype", "personkind", "borrowertype"),
        "holder_id": ("employeenumber", "employeeid", "studentid", "idnumber", "assignedid",
                      "assignedtoid", "borrowerid", "staffid", "personid", "checkedouttoid",
                      "employeeno", "studentno", "studentnumber", "staffno", "staffnumber"),
        "last_audit_date": ("lastaudit", "lastauditdate", "lastinventoried", "lastaudited",
                            "lastinventorydate"),
    },
    "people": {
        "first_name": ("firstname", "first", "givenname"),
        "last_name": ("lastname", "last", "surname", "familyname"),
        "full_name": ("fullname", "name", "displayname"),
        "id_number": ("employeenumber", "employeeid", "employeeno", "studentid", "studentnumber",
                      "idnumber", "id", "personid", "staffid", "studentno", "staffno",
                      "staffnumber", "idno"),
        "username": ("username", "login"),
        "email": ("email", "emailaddress", "mail"),
        "phone": ("phone", "telephone", "phonenumber", "mobile"),
        "kind": ("kind", "type", "role", "persontype", "usertype"),
        "site": ("site", "school", "location", "building", "campus"),
        "language": ("language", "preferredlanguage", "homelanguage"),
        "active": ("active", "activated", "enabled"),
        "grade": ("grade", "gradelevel"),
        "notes": ("notes", "comments", "jobtitle"),
    },
    "locations": {
        "name": ("name", "room", "location", "locationname", "roomname", "area"),
        "site": ("site", "school", "building", "campus", "parent", "parentlocation"),
        "address": ("address", "address1", "street"),
        "address2": ("address2",),
        "city": ("city",),
        "state": ("state",),
        "zip": ("zip", "postalcode", "zipcode"),
    },
    "models": {
        "name": ("name", "model", "modelname"),
        "manufacturer": ("manufacturer", "make", "brand"),
        "category": ("category", "type"),
        "model_number": ("modelnumber", "modelno", "partnumber"),
        "eol_months": ("eol", "eolmonths", "endoflife"),
        "notes": ("modelnotes", "notes"),
    },
    "licenses": {
        "product": ("itemname", "name", "product", "software", "licensename", "title"),
        "version": ("version",),
        "vendor": ("manufacturer", "vendor", "publisher"),
        "product_key": ("serialnumber", "productkey", "key", "licensekey", "serial"),
        "seats": ("seats", "quantity", "qty", "licenses", "seatsowned"),
        "site_license": ("sitelicense",),
        "purchase_date": ("purchasedate",),
        "cost": ("purchasecost", "cost", "price"),
        "order_number": ("purchaseorder", "ordernumber", "po"),
        "expiry_date": ("expirationdate", "expires", "expiry", "expirydate", "renewaldate",
                        "terminationdate"),
        "licensed_to": ("licensedtoname", "licensedto"),
        "supplier": ("supplier",),
        "notes": ("notes",),
        "seat_username": ("username",),
        "seat_email": ("email",),
        "seat_name": ("fullname",),
        "seat_tag": ("assettag", "tag", "computer"),
    },
    "supplies": {
        "name": ("name", "itemname", "item", "description"),
        "part_number": ("modelnumber", "partnumber", "partno", "sku"),
        "barcode": ("itemnumber", "barcode", "upc", "ean", "gtin"),
        "category": ("category", "type"),
        "quantity": ("qty", "quantity", "onhand", "stock", "count"),
        "reorder_point": ("minamount", "minqty", "reorderpoint", "min", "minimum"),
        "target": ("target", "targetqty", "max", "maximum", "parlevel"),
        "bin": ("location", "bin", "shelf"),
        "unit_cost": ("purchasecost", "unitcost", "cost", "price"),
        "order_number": ("ordernumber", "po", "purchaseorder"),
        "supplier": ("supplier", "vendor"),
        "manufacturer": ("manufacturer",),
        "notes": ("notes",),
    },
    # A student roster from the SIS: Aeries ("Student ID", "Perm ID", "Grade",
    # "School", "Teacher", "Parent/Guardian", "Mail Addr", "Home Language"),
    # PowerSchool ("Student_Number", "Last_Name", "Grade_Level", "SchoolID",
    # "Home_Room", "Guardian", "GuardianEmail", "Home_Phone",
    # "Mailing_Street", "Enroll_Status", "Family_Ident") and Synergy ("Perm
    # ID", "School Name", "Homeroom Teacher", "Parent Name", "Mail Address").
    "students": {
        "id_number": ("studentid", "permid", "permanentid", "stuid", "districtstudentid",
                      "districtid", "idnumber", "studentidnumber", "permanentidnumber"),
        # PowerSchool's district number; Aeries's school-based number (used
        # only when no column gives the district ID).
        "student_number": ("studentnumber", "studentno", "studentnum", "localid"),
        "last_name": ("lastname", "last", "surname", "studentlastname", "lastnamelegal"),
        "first_name": ("firstname", "first", "givenname", "studentfirstname", "firstnamelegal"),
        "full_name": ("lastfirst", "studentname", "name", "fullname", "student"),
        "grade": ("grade", "gradelevel", "gr", "grd", "currentgrade"),
        "site": ("school", "schoolid", "schoolname", "schoolcode", "schoolnumber", "schoolno",
                 "site", "campus", "building", "sc", "schoolnum", "homeschool"),
        "homeroom": ("homeroom", "homeroomteacher", "teacher", "tchr", "teachername", "hr",
                     "homeroomnumber", "advisory", "homeroomtchr", "classroom"),
        "guardian_name": ("parentguardian", "parentguardianname", "guardian", "guardianname",
                          "parentname", "parent", "pg", "contactname", "primarycontact",
                          "mothername", "fathername", "parentsname"),
        "guardian_email": ("guardianemail", "parentemail", "parentemailaddress", "pem",
                           "contactemail", "parentguardianemail", "familyemail",
                           "guardianemailaddress", "motheremail", "fatheremail"),
        "guardian_phone": ("homephone", "phone", "telephone", "guardianphone", "parentphone",
                           "contactphone", "primaryphone", "tl", "homephonenumber",
                           "guardianphonenumber", "parentphonenumber"),
        "email": ("studentemail", "studentemailaddress", "email", "emailaddress",
                  "studentpersonalemailaddress"),
        "street": ("mailaddr", "mailingaddress", "mailingstreet", "mailaddress", "mailstreet",
                   "address", "street", "homeaddress", "residenceaddress", "ma", "mailingaddr"),
        "city": ("mailcity", "mailingcity", "city", "mc"),
        "state": ("mailstate", "mailingstate", "state", "ms", "mailst"),
        "zip": ("mailzip", "mailingzip", "zip", "zipcode", "postalcode", "mailzipcode",
                "mailingzipcode", "mz"),
        "correspondence_language": ("correspondencelanguage", "correspondencelanguagecode",
                                    "cl", "parentlanguage", "languageforcorrespondence"),
        "language": ("homelanguage", "homelanguagecode", "language", "primarylanguage",
                     "hl", "langcode", "languagecode", "preferredlanguage"),
        "enrolment": ("status", "enrollstatus", "enrollmentstatus", "enrolmentstatus",
                      "inactivestatus", "inactivestatuscode", "studentstatus", "tg", "active"),
        "withdrawn_on": ("leavedate", "exitdate", "withdrawaldate", "withdrawdate", "leftdate",
                         "ld", "enddate"),
        "household": ("familyid", "familyident", "familynumber", "familyno", "household",
                      "householdid", "famid", "family", "familycode"),
    },
    # Google Admin console › Devices › Chrome › Download (CSV).
    "chromebooks": {
        "serial": ("serialnumber", "serial", "sn", "serialno"),
        "aue_date": ("autoupdateexpiration", "aue", "autoupdateexpirationdate", "aueexpiration",
                     "autoupdateexpiry", "aueexpirationdate", "autoupdateexpirationmonth",
                     "aiesupportenddate", "supportenddate", "autoupdateexpirationaue"),
        "annotated_user": ("annotateduser", "user", "assigneduser"),
        "annotated_asset_id": ("annotatedassetid", "assetid"),
        "org_unit": ("orgunitpath", "orgunit", "ou", "organizationalunit", "orgunitpathname"),
        "last_sync": ("lastsync", "lastpolicysync", "lastsynctime", "lastsyncdate"),
        "model": ("model", "modelname"),
        "status": ("status", "devicestatus"),
    },
}

LABELS = {  # how a field is named to people (mapping step, problems)
    "tag": "Tag", "serial": "Serial", "name": "Name", "model": "Model", "site": "Site",
    "room": "Room", "location": "Location (site › room, split as chosen above)",
    "holder_id": "Assigned to (ID number)", "holder_email": "Assigned to (email)",
    "holder_username": "Assigned to (username)", "holder_first": "Assigned to (first name)",
    "holder_last": "Assigned to (last name)",
    "site_room": "Site / room (split at the /)", "cost": "Cost",
    "purchase_date": "Purchase date", "holder_name": "Assigned to (name)",
    "holder_kind": "Assigned to: staff, student or family",
    "student_number": "Student number", "guardian_name": "Guardian", "aue_date":
    "Auto Update Expiration", "enrolment": "Enrolment status",
}

# Column-name hints that tell the kind of a file (a header set that matches
# "Asset Tag" is an asset list, and so on).
KIND_HINTS = {
    "assets": ("assettag", "tag", "serial", "serialnumber", "model"),
    "people": ("firstname", "lastname", "employeenumber", "studentid", "first", "last",
               "givenname", "surname", "idnumber", "employeeid", "studentnumber"),
    "licenses": ("seats", "productkey", "licensedtoname", "expirationdate"),
    "supplies": ("qty", "minamount", "reorderpoint", "quantity"),
    "models": ("eol", "fieldset", "modelnotes"),
    "locations": ("address", "city", "zip", "manager"),
}


_NUMBER_WORDS = {"s", "no", "num", "nbr", "number", "1", "id", "code"}


# Fields a number word after the header never feeds: "Item #" and "Site No"
# are numbers, not a name or a site, so such a column stays a custom field.
_NAMED_FIELDS = {"name", "holder_name", "full_name", "first_name", "last_name", "product",
                 "category", "manufacturer", "vendor", "status", "notes", "supplier", "site",
                 "kind", "model", "holder_first", "holder_last", "funding"}


def norm(header: str) -> str:
    """Lower-case letters and digits only; "#" reads as "no" ("Asset #" is "assetno")."""
    return re.sub(r"[^a-z0-9]", "", (header or "").lower().replace("#", "no"))


# Headers that name an asset's own tag or serial (a supply's barcode does not count).
_ASSET_KEYS = (set(FIELDS["assets"]["tag"]) | set(FIELDS["assets"]["serial"])) - {"barcode"}


def guess_kind(headers: list[str]) -> str:
    keys = {norm(h) for h in headers}
    scores = {k: sum(1 for h in hints if h in keys) for k, hints in KIND_HINTS.items()}
    # An asset list names a tag or a serial; other kinds win only on their own words.
    if keys & _ASSET_KEYS and scores["licenses"] < 2 and scores["people"] < 2:
        return "assets"
    # Without a tag or serial, a kind's own word wins a tie ("Model" and "EOL": models).
    others = {k: n for k, n in scores.items() if k != "assets"}
    best = max(others, key=lambda k: others[k])
    return best if others[best] and others[best] >= scores["assets"] else "assets"


def suggest(kind: str, headers: list[str]) -> dict[int, str]:
    """Column index → field, from the header spellings. Two different headers
    never share a field; a repeated header maps to the field of its first column."""
    fields = FIELDS[kind]
    lookup: dict[str, str] = {}
    for name, names in fields.items():
        for n in names:
            lookup.setdefault(n, name)
    out: dict[int, str] = {}
    used: set[str] = set()
    first_of: dict[str, str] = {}  # header → the field its first column took
    for i, h in enumerate(headers):
        key = norm(h)
        if key and key in first_of:
            # A repeated column (Snipe-IT's "Category" twice) feeds the same field:
            # the first non-empty value wins, and it never becomes a custom field.
            out[i] = first_of[key]
            continue
        field = lookup.get(key)
        if field is None:
            # "Serial Nbr", "Tag No.", "Assets" — a known name with a number word after it.
            for n in sorted(lookup, key=len, reverse=True):
                if len(n) >= 3 and key.startswith(n) and key[len(n):] in _NUMBER_WORDS:
                    if lookup[n] not in _NAMED_FIELDS:
                        field = lookup[n]
                    break
        if field and field not in used:
            out[i] = field
            used.add(field)
            first_of[key] = field
    return out


def header_key(kind: str, headers: list[str]) -> str:
    """A short key for a header set (a wide sheet's headers exceed a column's 255 characters)."""
    import hashlib
    # The spelling key of mappings remembered before "#" read as "no": kept, so they still match.
    digest = hashlib.sha1("|".join(re.sub(r"[^a-z0-9]", "", (h or "").lower())
                                   for h in headers).encode()).hexdigest()
    return f"{kind}:{len(headers)}:{digest}"


def remembered(kind: str, headers: list[str]) -> dict[int, str] | None:
    from app.models.activity import ImportMapping
    row = (ImportMapping.select(ImportMapping.mapping)
           .where((ImportMapping.kind == kind) & (ImportMapping.header_key == header_key(kind, headers)))
           .tuples().first())
    if not row:
        return None
    return {int(k): v for k, v in (row[0] or {}).items()}


def remember(kind: str, headers: list[str], mapping: dict[int, str]) -> None:
    from app.models.activity import ImportMapping
    from app.models.common import utcnow
    key = header_key(kind, headers)
    data = {str(k): v for k, v in mapping.items()}
    n = (ImportMapping.update(mapping=data, updated_at=utcnow())
         .where((ImportMapping.kind == kind) & (ImportMapping.header_key == key)).execute())
    if not n:
        ImportMapping.create(kind=kind, header_key=key, mapping=data)
