import asyncio

from grpc_request_client.testing.fake import InstantClock


def test_time_moves_only_by_what_was_slept() -> None:
    clock = InstantClock()
    start = clock.now()

    clock.sleep(1.5)
    clock.sleep(0.25)

    assert clock.now() - start == 1.75


async def test_an_async_sleep_moves_time_and_lets_other_tasks_run() -> None:
    clock = InstantClock()
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    task = asyncio.create_task(other())
    await clock.sleep_async(2.0)

    assert ran == ["other"]
    assert clock.now() == 2.0
    await task
