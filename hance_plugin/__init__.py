"""hance"""
