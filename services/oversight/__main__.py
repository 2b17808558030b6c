from services.common.entry import main

main("oversight")
