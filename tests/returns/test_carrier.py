from __future__ import annotations

import pytest

from returns.carrier import BuiltinCarrier, ShipmentRequest, is_valid_s10, s10_check_digit


@pytest.mark.parametrize(("serial", "check"), [("47312482", 9), ("12345678", 5), ("00000001", 4)])
def test_s10_check_digits_follow_the_upu_rule(serial: str, check: int) -> None:
    assert s10_check_digit(serial) == check


def test_the_upu_example_number_is_valid_and_a_typo_is_not() -> None:
    assert is_valid_s10("RR473124829GB")  # the example in UPU standard S10
    assert is_valid_s10(" rr473124829gb ")
    assert not is_valid_s10("RR473124828GB")
    assert not is_valid_s10("RR47312482GB")


def test_booking_twice_gives_the_same_tracking_number_and_the_qr_carries_the_return_number() -> None:
    request = ShipmentRequest(return_id=1234, return_number="R-7K3P9QX", sender=("A",), recipient=("B",))
    first, again = BuiltinCarrier().create_shipment(request), BuiltinCarrier().create_shipment(request)
    assert first == again
    assert first.tracking_number.startswith("RR00001234") and first.tracking_number.endswith("SE")
    assert is_valid_s10(first.tracking_number)
    assert first.qr_payload == f"RETURN:R-7K3P9QX;TRACK:{first.tracking_number}"
