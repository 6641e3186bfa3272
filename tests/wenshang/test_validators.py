"""The shared validators (wenshang.kernel.validators) and the model rules built on them: codes, money,
areas, date ranges and the alliance fund, in English and (when the catalog exists) in Chinese."""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from alliances.choices import AllianceScope, FundEntryKind
from alliances.models import Alliance, FundEntry, fund_balance
from finance.choices import LoanKind
from finance.models import Homestead, Loan
from talent.models import FirstSecretary, FirstSecretaryBatch, Person
from villages.choices import ProjectKind
from villages.models import CollectiveIncome, Project, Township, Village
from wenshang.kernel.services import save_scoped
from wenshang.kernel.validators import (
    DivisionCodeValidator,
    credit_check_char,
    id_check_char,
    mask_id_number,
    mask_phone,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
    validate_non_negative,
    validate_positive,
)

LOCALE_DIR = Path(__file__).resolve().parents[2] / "wenshang" / "locale"
# Django looks for zh-hans under ``zh_Hans``; accept the lower-case spelling too, so that a catalog
# in the wrong folder makes the Chinese tests fail (untranslated) instead of being skipped.
ZH_CATALOGS = [LOCALE_DIR / name / "LC_MESSAGES" / "django.mo" for name in ("zh_Hans", "zh_hans")]
needs_zh_catalog = pytest.mark.skipif(
    not any(p.exists() for p in ZH_CATALOGS),
    reason="the zh-hans catalog (wenshang/locale/zh_Hans/LC_MESSAGES/django.mo) has not been compiled yet",
)


def with_id_check(first17):
    return first17 + id_check_char(first17)


def with_credit_check(first17):
    return first17 + credit_check_char(first17)


def first_with_check_x():
    """A valid ID number of a person born in Wenshang on 1990-01-01 whose check character is X."""
    for seq in range(1000):
        first17 = f"37083019900101{seq:03d}"
        if id_check_char(first17) == "X":
            return first17 + "X"
    raise AssertionError("no sequence number gives X")


def error_codes(exc_info):
    return [e.code for e in exc_info.value.error_list]


# --- national ID numbers (GB 11643, ISO 7064 MOD 11-2) ---------------------------------------


VALID_IDS = [
    with_id_check("37083019900101123"),
    with_id_check("37083020000229002"),  # born on a leap day
    with_id_check("37083019491001001"),
    first_with_check_x(),
    "11010519491231002X",  # the example of GB 11643 itself
    "440524188001010014",
]


@pytest.mark.parametrize("value", VALID_IDS)
def test_valid_id_numbers(value):
    validate_id_number(value)


def test_check_character_x_is_computed():
    value = first_with_check_x()
    assert value.endswith("X")
    assert id_check_char(value[:17]) == "X"


def test_lower_case_x_is_accepted():
    validate_id_number(first_with_check_x().lower())


def test_id_check_char_known_values():
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("44052418800101001") == "4"


def wrong_check(value):
    right = value[17]
    return value[:17] + next(c for c in "0123456789X" if c != right)


@pytest.mark.parametrize(
    "value, code",
    [
        (wrong_check(VALID_IDS[0]), "id_check"),
        (wrong_check(first_with_check_x()), "id_check"),
        (VALID_IDS[0][:17], "id_format"),  # 17 characters
        (VALID_IDS[0] + "1", "id_format"),  # 19 characters
        ("", "id_format"),
        (None, "id_format"),
        ("37083019900101123A", "id_format"),  # a letter other than X at the end
        ("3708301990O101123" + "4", "id_format"),  # a letter O in the middle
        ("X70830199001011234", "id_format"),
        (with_id_check("37083019901301123"), "id_birth"),  # month 13
        (with_id_check("37083019900230123"), "id_birth"),  # 30 February
        (with_id_check("37083019010229123"), "id_birth"),  # 1901 is no leap year
        (with_id_check("37083019900100123"), "id_birth"),  # day 0
    ],
)
def test_invalid_id_numbers(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert error_codes(exc) == [code]


# --- unified social credit codes (GB 32100) -----------------------------------------------------

VALID_CREDIT_CODES = [
    with_credit_check("91370830MA3C12345"),
    with_credit_check("12370830004512345"),  # a public institution
    with_credit_check("N2370830MF0000001"),  # a village collective economic organization
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
]


@pytest.mark.parametrize("value", VALID_CREDIT_CODES)
def test_valid_credit_codes(value):
    validate_credit_code(value)


def test_credit_check_char_of_real_codes():
    assert credit_check_char("91440300708461136") == "T"
    assert credit_check_char("91440300192203821") == "6"


def test_credit_check_character_may_be_zero():
    """31 - (sum mod 31) is 31 when the sum is a multiple of 31: the check character is then 0."""
    for n in range(100000):
        first17 = f"9137083000000{n:04d}"[:17]
        if credit_check_char(first17) == "0":
            validate_credit_code(first17 + "0")
            return
    pytest.fail("no code with check character 0 found")


def test_lower_case_credit_code_is_accepted():
    validate_credit_code(VALID_CREDIT_CODES[0].lower())
    validate_credit_code("91440300708461136t")


def wrong_credit_check(value):
    return value[:17] + ("1" if value[17] != "1" else "2")


@pytest.mark.parametrize(
    "value, code",
    [
        (wrong_credit_check(VALID_CREDIT_CODES[0]), "credit_check"),
        (wrong_credit_check("91440300708461136T"), "credit_check"),
        ("91440300708461136T"[:17], "credit_format"),
        ("91440300708461136T0", "credit_format"),
        ("", "credit_format"),
        ("9137083OMA3C123450", "credit_format"),
        *[(f"91370830MA3C1234{letter}0", "credit_format") for letter in "IOZSV"],
    ],
)
def test_invalid_credit_codes(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(value)
    assert error_codes(exc) == [code]


# --- mobile numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["13012345678", "13912345678", "15512345678", "17712345678", "18812345678", "19912345678"])
def test_valid_mobile_numbers(value):
    validate_mobile(value)


@pytest.mark.parametrize(
    "value",
    ["12012345678", "12912345678", "1381234567", "138123456789", "1381234567a", "abcdefghijk", "23812345678", "", None],
)
def test_invalid_mobile_numbers(value):
    with pytest.raises(ValidationError) as exc:
        validate_mobile(value)
    assert error_codes(exc) == ["mobile"]


# --- numbers ---------------------------------------------------------------------------------


def test_non_negative_and_positive():
    validate_non_negative(0)
    validate_non_negative(Decimal("0.00"))
    validate_non_negative(None)
    validate_positive(Decimal("0.01"))
    validate_positive(None)
    with pytest.raises(ValidationError):
        validate_non_negative(Decimal("-0.01"))
    for value in (0, Decimal("0.00"), -1):
        with pytest.raises(ValidationError):
            validate_positive(value)


def test_division_code_validator():
    DivisionCodeValidator(9)("370830104")
    for value in ("37083010", "3708301041", "37083010a", "", None):
        with pytest.raises(ValidationError):
            DivisionCodeValidator(9)(value)
    assert DivisionCodeValidator(9) == DivisionCodeValidator(9)
    assert DivisionCodeValidator(9) != DivisionCodeValidator(12)


# --- masks -----------------------------------------------------------------------------------


def test_mask_id_number():
    masked = mask_id_number("370830199001011234")
    assert masked == "370830********1234"
    assert len(masked) == 18
    x_number = first_with_check_x()
    assert mask_id_number(x_number) == "370830" + "*" * 8 + x_number[-4:]
    assert mask_id_number(x_number).endswith("X")
    assert mask_id_number("") == ""
    assert mask_id_number(None) is None


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""
    assert mask_phone(None) is None


# --- model rules: builders -------------------------------------------------------------------


def make_loan(township, **kwargs):
    values = dict(
        kind=LoanKind.PROJECT,
        bank="汶上农商银行",
        borrower_name="东石楼村股份经济合作社",
        township=township,
        amount=Decimal("500000.00"),
        annual_rate=Decimal("3.85"),
        term_months=12,
        granted_on=date(2024, 3, 1),
        due_on=date(2025, 3, 1),
    )
    values.update(kwargs)
    return Loan(**values)


def make_homestead(village, **kwargs):
    values = dict(
        village=village,
        parcel_code=village.code + "JC00001",
        holder_name="张三",
        holder_id_number=VALID_IDS[0],
        area=Decimal("166.50"),
        surveyed_on=date(2023, 5, 1),
    )
    values.update(kwargs)
    return Homestead(**values)


def make_project(township, **kwargs):
    values = dict(name="高标准农田", kind=ProjectKind.OTHER, township=township)
    values.update(kwargs)
    return Project(**values)


def make_first_secretary(village, **kwargs):
    person = Person.objects.create(name="李四", township=village.township)
    batch = FirstSecretaryBatch.objects.create(year=2024, name="2024年第一书记", start_date=date(2024, 3, 1))
    values = dict(person=person, batch=batch, village=village, sending_unit="县财政局", start_date=date(2024, 3, 1))
    values.update(kwargs)
    return FirstSecretary(**values)


def field_errors(instance):
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


# --- division codes ----------------------------------------------------------------------------


def test_fixture_geography_is_valid(county, township_a, township_b, village_a, village_b):
    for obj in (county, township_a, township_b, village_a, village_b):
        obj.full_clean()


def test_village_code_must_begin_with_township_code(township_a):
    village = Village(township=township_a, code="370830102299", name="错码村")
    with translation.override("en"):
        errors = field_errors(village)
    assert list(errors) == ["code"]
    assert "370830104" in errors["code"][0]
    assert "must begin with its township's code" in errors["code"][0]


def test_village_code_length(township_a):
    village = Village(township=township_a, code="37083010420", name="短码村")
    with translation.override("en"):
        errors = field_errors(village)
    assert "code" in errors
    assert any("12 digits" in m for m in errors["code"])


def test_township_code_must_begin_with_county_code(county):
    township = Township(county=county, code="370831101", name="外县镇")
    with translation.override("en"):
        errors = field_errors(township)
    assert list(errors) == ["code"]
    assert "370830" in errors["code"][0]


# --- ID numbers, credit codes and mobiles on models ------------------------------------------------


def test_model_field_validators(village_a, township_a):
    homestead = make_homestead(village_a, holder_id_number=wrong_check(VALID_IDS[0]))
    assert "holder_id_number" in field_errors(homestead)
    loan = make_loan(township_a, borrower_phone="12912345678")
    assert "borrower_phone" in field_errors(loan)


# --- money -------------------------------------------------------------------------------------


def test_negative_loan_amount(township_a):
    with translation.override("en"):
        errors = field_errors(make_loan(township_a, amount=Decimal("-1.00")))
    assert "amount" in errors
    assert "An amount cannot be negative." in errors["amount"]


def test_negative_loan_subsidy(township_a):
    with translation.override("en"):
        errors = field_errors(make_loan(township_a, interest_subsidy=Decimal("-0.01")))
    assert errors == {"interest_subsidy": ["An amount cannot be negative."]}


def test_negative_collective_income(village_a):
    income = CollectiveIncome(village=village_a, year=2023, amount=Decimal("-100"), operating=Decimal("0"))
    with translation.override("en"):
        errors = field_errors(income)
    assert errors["amount"] == ["An amount cannot be negative."]


def test_valid_money_passes(village_a, township_a):
    CollectiveIncome(village=village_a, year=2023, amount=Decimal("250000"), operating=Decimal("80000")).full_clean()
    make_loan(township_a).full_clean()


@pytest.mark.parametrize(
    "build, constraint",
    [
        (lambda t, v: make_loan(t, amount=Decimal("-1")), "loan_amount_positive"),
        (lambda t, v: make_loan(t, amount=Decimal("0")), "loan_amount_positive"),
        (lambda t, v: make_loan(t, risk_compensation=Decimal("-1")), "loan_risk_compensation_non_negative"),
        (lambda t, v: make_project(t, investment=Decimal("-1")), "project_investment_non_negative"),
        (
            lambda t, v: CollectiveIncome(village=v, year=2023, amount=Decimal("10"), operating=Decimal("-1")),
            "collectiveincome_operating_non_negative",
        ),
        (lambda t, v: CollectiveIncome(village=v, year=2023, amount=Decimal("-10"), operating=Decimal("-20")), None),
        (lambda t, v: make_homestead(v, area=Decimal("0")), "homestead_area_positive"),
        (lambda t, v: make_homestead(v, area=Decimal("-5")), "homestead_area_positive"),
        (
            lambda t, v: make_project(t, start_date=date(2024, 5, 1), end_date=date(2024, 4, 30)),
            "project_end_date_after_start_date",
        ),
        (
            lambda t, v: make_loan(t, granted_on=date(2024, 5, 1), due_on=date(2024, 4, 30)),
            "loan_due_on_after_granted_on",
        ),
    ],
)
def test_database_refuses_what_clean_refuses(township_a, village_a, build, constraint):
    obj = build(township_a, village_a)
    with pytest.raises(IntegrityError) as exc:
        with transaction.atomic():
            obj.save()
    if constraint:
        assert constraint in str(exc.value)
    assert not type(obj).objects.exists()


# --- areas -------------------------------------------------------------------------------------


@pytest.mark.parametrize("area", [Decimal("0"), Decimal("0.00"), Decimal("-12.5")])
def test_homestead_area_must_be_positive(village_a, area):
    with translation.override("en"):
        errors = field_errors(make_homestead(village_a, area=area))
    assert errors == {"area": ["This must be greater than zero."]}


def test_homestead_valid(village_a):
    make_homestead(village_a).full_clean()


# --- date ranges -------------------------------------------------------------------------------

END_BEFORE_START = "The end date cannot be before the start date."


def test_project_end_before_start(township_a):
    project = make_project(township_a, start_date=date(2024, 5, 1), end_date=date(2024, 4, 30))
    with translation.override("en"):
        errors = field_errors(project)
    assert errors == {"end_date": [END_BEFORE_START]}


def test_project_same_day_and_open_end_pass(township_a):
    make_project(township_a, start_date=date(2024, 5, 1), end_date=date(2024, 5, 1)).full_clean()
    make_project(township_a, start_date=date(2024, 5, 1), end_date=None).full_clean()


def test_loan_due_before_granted(township_a):
    loan = make_loan(township_a, granted_on=date(2024, 5, 1), due_on=date(2024, 1, 1))
    with translation.override("en"):
        errors = field_errors(loan)
    assert errors == {"due_on": [END_BEFORE_START]}


def test_first_secretary_end_before_start(village_a):
    secretary = make_first_secretary(village_a, end_date=date(2024, 2, 1))
    with translation.override("en"):
        errors = field_errors(secretary)
    assert errors == {"end_date": [END_BEFORE_START]}
    secretary.end_date = date(2026, 2, 28)
    secretary.full_clean()


# --- the alliance fund -------------------------------------------------------------------------


@pytest.fixture
def alliance(county):
    return Alliance.objects.create(name="汶上县共富大联盟", scope=AllianceScope.COUNTY, founded_on=date(2023, 1, 1))


def fund_entry(alliance, kind, amount, day=1):
    return FundEntry(alliance=alliance, date=date(2024, 6, day), kind=kind, amount=Decimal(amount), purpose="测试")


@pytest.fixture
def funded_alliance(alliance):
    for amount in ("10000.00", "2500.50"):
        entry = fund_entry(alliance, FundEntryKind.CONTRIBUTION, amount)
        entry.full_clean()
        entry.save()
    return alliance


def test_contributions_keep_running_balance(funded_alliance):
    assert fund_balance(funded_alliance.pk) == Decimal("12500.50")
    assert list(FundEntry.objects.order_by("pk").values_list("balance_after", flat=True)) == [
        Decimal("10000.00"),
        Decimal("12500.50"),
    ]


def test_overdraft_is_refused(funded_alliance, admin_user):
    count = FundEntry.objects.count()
    entry = fund_entry(funded_alliance, FundEntryKind.DISBURSEMENT, "12500.51", day=2)
    with translation.override("en"):
        errors = field_errors(entry)
    assert list(errors) == ["amount"]
    assert "overdraw" in errors["amount"][0]
    assert "12,500.50" in errors["amount"][0]
    # Through the shared write path nothing is saved either.
    with pytest.raises(ValidationError):
        save_scoped(entry, user=admin_user)
    assert FundEntry.objects.count() == count
    assert fund_balance(funded_alliance.pk) == Decimal("12500.50")


def test_disbursing_the_whole_balance(funded_alliance, admin_user):
    entry = fund_entry(funded_alliance, FundEntryKind.DISBURSEMENT, "12500.50", day=2)
    entry.full_clean()
    assert entry.balance_after == 0
    save_scoped(entry, user=admin_user)
    assert fund_balance(funded_alliance.pk) == 0
    entry.refresh_from_db()
    assert entry.balance_after == 0
    # Now not even a cent can go out.
    with pytest.raises(ValidationError):
        fund_entry(funded_alliance, FundEntryKind.DISBURSEMENT, "0.01", day=3).full_clean()


def test_fund_amount_must_be_positive(alliance):
    with translation.override("en"):
        errors = field_errors(fund_entry(alliance, FundEntryKind.CONTRIBUTION, "0"))
    assert errors == {"amount": ["The amount must be greater than zero."]}


def test_first_disbursement_from_empty_fund(alliance):
    with pytest.raises(ValidationError) as exc:
        fund_entry(alliance, FundEntryKind.DISBURSEMENT, "1").full_clean()
    assert "amount" in exc.value.message_dict


# --- message language --------------------------------------------------------------------------


def _raises(func):
    def run():
        with pytest.raises(ValidationError) as exc:
            func()
        return exc.value.messages

    return run


def _model_error(build, field):
    def run():
        obj = build()
        with pytest.raises(ValidationError) as exc:
            obj.full_clean()
        return exc.value.message_dict[field]

    return run


# (id, a function returning the messages, the English source text)
MESSAGE_CASES = [
    ("id_format", lambda db: _raises(lambda: validate_id_number("123")),
     "A national ID number has 18 characters: 17 digits and a digit or X."),
    ("id_birth", lambda db: _raises(lambda: validate_id_number(with_id_check("37083019901301123"))),
     "The date of birth in this ID number does not exist."),
    ("id_check", lambda db: _raises(lambda: validate_id_number(wrong_check(VALID_IDS[0]))),
     "The check character of this ID number is wrong; please check the number."),
    ("credit_format", lambda db: _raises(lambda: validate_credit_code("91370830MA3C1234I0")),
     "A unified social credit code has 18 characters: digits and capital letters except I, O, Z, S, V."),
    ("credit_check", lambda db: _raises(lambda: validate_credit_code(wrong_credit_check(VALID_CREDIT_CODES[0]))),
     "The check character of this unified social credit code is wrong; please check the code."),
    ("mobile", lambda db: _raises(lambda: validate_mobile("12912345678")),
     "Enter a mainland mobile number: 11 digits beginning with 13 to 19."),
    ("negative", lambda db: _raises(lambda: validate_non_negative(-1)), "An amount cannot be negative."),
    ("positive", lambda db: _raises(lambda: validate_positive(0)), "This must be greater than zero."),
    ("division_code", lambda db: _raises(lambda: DivisionCodeValidator(12)("123")),
     "An official division code here has 12 digits."),
    ("date_order", lambda db: _model_error(
        lambda: make_project(db["township_a"], start_date=date(2024, 5, 1), end_date=date(2024, 4, 1)), "end_date"),
     END_BEFORE_START),
    ("village_code", lambda db: _model_error(
        lambda: Village(township=db["township_a"], code="370830102299", name="错码村"), "code"),
     "A village's 12-digit code must begin with its township's code 370830104."),
    ("township_code", lambda db: _model_error(
        lambda: Township(county=db["township_a"].county, code="370831101", name="外县镇"), "code"),
     "A township's code must begin with its county's code 370830."),
    ("fund_overdraft", lambda db: _model_error(
        lambda: fund_entry(db["alliance"], FundEntryKind.DISBURSEMENT, "1"), "amount"),
     "This disbursement would overdraw the alliance fund: the balance is 0.00 yuan."),
]


@pytest.fixture
def objects(township_a, alliance):
    return {"township_a": township_a, "alliance": alliance}


@pytest.mark.parametrize("make_run, english", [c[1:] for c in MESSAGE_CASES], ids=[c[0] for c in MESSAGE_CASES])
def test_messages_in_english(objects, make_run, english):
    with translation.override("en"):
        messages = make_run(objects)()
    assert messages == [english]


@needs_zh_catalog
@pytest.mark.parametrize("make_run, english", [c[1:] for c in MESSAGE_CASES], ids=[c[0] for c in MESSAGE_CASES])
def test_messages_in_chinese(objects, make_run, english):
    with translation.override("zh-hans"):
        messages = make_run(objects)()
    assert len(messages) == 1
    assert messages[0] != english, "the message is not translated into Chinese"
    assert messages[0].strip()


def test_chinese_is_the_default_language(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
