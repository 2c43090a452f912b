import TresorCommand

await Tresor.start()
